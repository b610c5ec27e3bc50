import LikenessServer
print("x")
