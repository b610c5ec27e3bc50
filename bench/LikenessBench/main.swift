import LikenessServer

print("x")
