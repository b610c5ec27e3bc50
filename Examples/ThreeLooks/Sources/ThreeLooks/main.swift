import Foundation
import LikenessClient

// Usage: LIKENESS_API_KEY=lk_… swift run ThreeLooks face.jpg [http://127.0.0.1:8080]
let arguments = CommandLine.arguments
guard arguments.count >= 2, let key = ProcessInfo.processInfo.environment["LIKENESS_API_KEY"] else {
    print("usage: LIKENESS_API_KEY=lk_… ThreeLooks <photo.jpg> [server URL]")
    exit(2)
}
let photo = URL(filePath: arguments[1])
let server = URL(string: arguments.count > 2 ? arguments[2] : "http://127.0.0.1:8080")!
let client = LikenessClient(baseURL: server, apiKey: key)

let scenes = [
    "the same person reading in a sunlit library",
    "the same person hiking a misty mountain ridge",
    "the same person laughing at a night market",
]
do {
    for scene in scenes {
        let generation = try await client.generate(scene, reference: .file(photo), aspectRatio: .portrait3x4)
        for file in try await client.save(generation, to: URL(filePath: "looks")) {
            print(file.path)
        }
    }
} catch {
    print("failed: \(error)")
    exit(1)
}
