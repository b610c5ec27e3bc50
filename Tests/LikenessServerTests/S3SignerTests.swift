import Foundation
import Testing

@testable import LikenessServer
@testable import LikenessService

/// The signer against the Signature Version 4 examples AWS publishes for S3 ("Signature
/// Calculations for the Authorization Header" and "Query String Authentication").
@Suite("S3 Signature Version 4")
struct S3SignerTests {
    let signer = S3Signer(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region: "us-east-1")
    /// 20130524T000000Z.
    let date = Date(timeIntervalSince1970: 1_369_353_600)

    func signature(_ headers: [String: String]) -> String? {
        headers["Authorization"]?.components(separatedBy: "Signature=").last
    }

    @Test("GET Object with a range")
    func getObject() throws {
        let headers = signer.sign(
            method: "GET", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")),
            headers: ["Range": "bytes=0-9"], payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(signature(headers) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            headers["Authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test("PUT Object: a signed payload, a name with a character to encode, extra headers")
    func putObject() throws {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(
            S3Signer.payloadHash(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let headers = signer.sign(
            method: "PUT", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test$file.text")),
            headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadHash: S3Signer.payloadHash(body), date: date)
        #expect(signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket Lifecycle: a query parameter without a value")
    func lifecycle() throws {
        let headers = signer.sign(
            method: "GET", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/?lifecycle")),
            payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(signature(headers) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("GET Bucket (list objects): query parameters sorted")
    func listObjects() throws {
        let headers = signer.sign(
            method: "GET",
            url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J")),
            payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(signature(headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("a presigned GET for a day")
    func presigned() throws {
        let url = signer.presign(
            url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")), expires: 86_400,
            date: date)
        #expect(
            url.absoluteString
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test("a port other than the scheme's is part of the signed host")
    func hostWithPort() throws {
        let url = try #require(URL(string: "http://127.0.0.1:9000/bucket/key.jpg"))
        let onPort = signer.sign(method: "GET", url: url, payloadHash: S3Signer.emptyPayloadHash, date: date)
        let withoutPort = signer.sign(
            method: "GET", url: try #require(URL(string: "http://127.0.0.1/bucket/key.jpg")),
            payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(signature(onPort) != signature(withoutPort))
    }
}
