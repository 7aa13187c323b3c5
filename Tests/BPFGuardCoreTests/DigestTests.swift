import Testing
@testable import BPFGuardCore

/// The digests package databases record, computed in Swift: the published test vectors,
/// any chunking, and the output of md5sum/sha*sum on real executables of this machine.
@Suite struct DigestTests {
    static func hex(_ algorithm: DigestAlgorithm, _ text: String) -> String {
        HexDigits.text(algorithm.digest(Array(text.utf8)))
    }

    @Test func md5Vectors() {
        // RFC 1321, appendix A.5.
        #expect(Self.hex(.md5, "") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Self.hex(.md5, "a") == "0cc175b9c0f1b6a831c399e269772661")
        #expect(Self.hex(.md5, "abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Self.hex(.md5, "message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(Self.hex(.md5, "abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b")
        #expect(Self.hex(.md5, String(repeating: "1234567890", count: 8)) == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test func shaVectors() {
        // FIPS 180-4 examples ("abc" and the two-block messages).
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        let twoLongBlocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(Self.hex(.sha1, "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Self.hex(.sha1, twoBlocks) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(Self.hex(.sha224, "abc") == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        #expect(Self.hex(.sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(.sha256, "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(.sha256, twoBlocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Self.hex(.sha384, "abc") == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        #expect(Self.hex(.sha512, "abc") == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(Self.hex(.sha512, twoLongBlocks) == "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")
    }

    @Test func millionAs() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(HexDigits.text(DigestAlgorithm.md5.digest(million)) == "7707d6ae4e027c70eea2a935c2296f21")
        #expect(HexDigits.text(DigestAlgorithm.sha256.digest(million)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding a message in pieces of any size gives the digest of the whole.
    @Test(arguments: DigestAlgorithm.allCases)
    func chunkingDoesNotMatter(_ algorithm: DigestAlgorithm) {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 4099] {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let whole = algorithm.digest(message)
            #expect(whole.count == algorithm.length)
            var digester = Digester(algorithm)
            var offset = 0
            while offset < message.count {
                let piece = min(Int.random(in: 1...70, using: &generator), message.count - offset)
                message[offset..<(offset + piece)].withUnsafeBytes { digester.update($0) }
                offset += piece
            }
            #expect(digester.finish() == whole, "\(algorithm) of \(length) bytes fed in pieces")
        }
    }

    /// The same digests as the standard tools, on real executables of this machine (the
    /// package databases' algorithms on two files, every algorithm on the smaller one).
    @Test func realFilesAgreeWithTheStandardTools() throws {
        let files = ["/usr/bin/ls", "/usr/sbin/runqlat", "/usr/bin/dpkg"].filter(TestFiles.exists).prefix(2)
        try #require(!files.isEmpty, "no executable to hash")
        for (index, file) in files.enumerated() {
            let bytes = try #require(TestFiles.read(file))
            let tools: [(DigestAlgorithm, String)] = index == 0
                ? [(.md5, "md5sum"), (.sha1, "sha1sum"), (.sha256, "sha256sum"), (.sha512, "sha512sum")]
                : [(.md5, "md5sum"), (.sha256, "sha256sum")]
            for (algorithm, tool) in tools {
                let expected = TestFiles.output(of: "\(tool) \(file)").prefix { $0 != " " }
                #expect(HexDigits.text(algorithm.digest(bytes)) == expected, "\(tool) \(file)")
            }
        }
    }

    @Test func algorithmNumbersOfRPM() {
        #expect(DigestAlgorithm(openPGPNumber: 1) == .md5)
        #expect(DigestAlgorithm(openPGPNumber: 8) == .sha256)
        #expect(DigestAlgorithm(openPGPNumber: 10) == .sha512)
        #expect(DigestAlgorithm(openPGPNumber: 3) == nil, "RIPEMD-160 is not computed")
    }

    @Test func hexText() {
        #expect(HexDigits.bytes(Array("00fFa0".utf8)) == [0x00, 0xFF, 0xA0])
        #expect(HexDigits.bytes(Array("0g".utf8)) == nil)
        #expect(HexDigits.bytes(Array("abc".utf8)) == nil)
        #expect(HexDigits.text([0xDE, 0xAD]) == "dead")
    }
}
