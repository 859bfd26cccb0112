import XCTest
import ForecastCore
import _TestSupport

final class GEMMTests: XCTestCase {
    /// Every transpose combination, strided leading dimensions, beta accumulation and the
    /// single-row (gemv) route, against a plain loop.
    func testGEMMAgainstNaiveLoop() {
        var rng = SeededGenerator(seed: 3)
        for (m, n, k) in [(1, 7, 5), (4, 3, 6), (9, 1, 2), (1, 1, 1), (13, 17, 11)] {
            for tA in [false, true] {
                for tB in [false, true] {
                    let lda = (tA ? m : k) + 2, ldb = (tB ? k : n) + 1, ldc = n + 3
                    let a = randomArray((tA ? k : m) * lda, &rng), b = randomArray((tB ? n : k) * ldb, &rng)
                    let c0 = randomArray(m * ldc, &rng)
                    var c = c0
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 0.25, c: cp.baseAddress!, ldc: ldc)
                    }
                    for i in 0..<m {
                        for j in 0..<n {
                            var s: Float = 0
                            for p in 0..<k { s += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]) }
                            XCTAssertEqual(c[i * ldc + j], 0.5 * s + 0.25 * c0[i * ldc + j], accuracy: 1e-5, "m\(m) n\(n) k\(k) tA\(tA) tB\(tB)")
                        }
                    }
                }
            }
        }
    }

    func testSelectedKernelIsCorrect() {
        XCTAssertLessThan(BLASRuntime.sgemmSelfTest(), 1e-4)
    }

    func testBestCoreTypeFromFlags() {
        XCTAssertEqual(BLASRuntime.bestCoreType(flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]), "SkylakeX")
        XCTAssertEqual(BLASRuntime.bestCoreType(flags: ["avx2", "fma", "avx"]), "Haswell")
        XCTAssertNil(BLASRuntime.bestCoreType(flags: ["sse3"]))
    }
}

final class ParameterStoreTests: XCTestCase {
    func testLayoutIsAlignedOrderedAndNamed() throws {
        var layout = ParameterLayout()
        layout.add("a", [3, 5])
        layout.add("b", [7])
        let s = ParameterStore(layout: layout)
        XCTAssertEqual(layout.entries.map(\.name), ["a", "b"])
        XCTAssertEqual(layout.entry("b")!.offset % 16, 0)
        XCTAssertEqual(Int(bitPattern: s.base) % 64, 0)
        XCTAssertEqual(layout.parameterCount, 22)
        try s.assign("b", Tensor(shape: [7], repeating: 2))
        XCTAssertEqual(s.tensor("b")!.scalars, [Float](repeating: 2, count: 7))
        XCTAssertThrowsError(try s.assign("b", Tensor(shape: [6])))
        XCTAssertThrowsError(try s.assign("zz", Tensor(shape: [7])))
        let g = ParameterStore(layout: layout)
        g.add(s)
        g.add(s)
        XCTAssertEqual(g.tensor("b")!.scalars.first, 4)
        XCTAssertEqual(s.tensorBytes().count, 22 * 4)
    }
}

final class SafeTensorsTests: XCTestCase {
    func testRoundTripAndValidation() throws {
        let f = SafeTensorsFile(tensors: [("w", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])!), ("b", Tensor(shape: [1], scalars: [-1])!)],
                                metadata: ["config": "{\"a\":1}"])
        let bytes = f.encode()
        let g = try SafeTensorsFile.decode(bytes)
        XCTAssertEqual(g.names, ["w", "b"])
        XCTAssertEqual(g["w"], f["w"])
        XCTAssertEqual(g.metadata["config"], "{\"a\":1}")
        XCTAssertThrowsError(try SafeTensorsFile.decode(Array(bytes.prefix(20))))
        XCTAssertThrowsError(try SafeTensorsFile.decode([1, 2, 3]))
        var bad = bytes; bad[0] = 0xff
        XCTAssertThrowsError(try SafeTensorsFile.decode(bad))
    }

    func testReadsPyTorchWrittenGoldenFile() throws {
        let f = try SafeTensorsFile.read(path: fixturePath("golden/lstm_1layer.safetensors"))
        XCTAssertEqual(f["rnn.weight_ih_l0"]?.shape, [20, 3])
        XCTAssertNotNil(f.metadata["config"])
    }
}

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array(String(repeating: "a", count: 1000).utf8)), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

final class RandomTests: XCTestCase {
    func testSeededAndRestorable() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        var c = SeededGenerator(stateWords: a.stateWords)
        XCTAssertEqual(a.next(), c.next())
        var n = SeededGenerator(seed: 1)
        let xs = (0..<20000).map { _ in Double(n.nextNormal()) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        var u = SeededGenerator(seed: 2)
        XCTAssert((0..<1000).allSatisfy { _ in let f = u.nextUnitFloat(); return f >= 0 && f < 1 })
    }
}

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesWholeFileAndLeavesNoTemporaries() throws {
        let dir = NSTemporaryDirectory() + "atomic-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        XCTAssertEqual(try AtomicFile.read(path), [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.bin"])
        XCTAssertThrowsError(try AtomicFile.write([1], to: dir + "/missing/f.bin"))
        XCTAssertThrowsError(try AtomicFile.read(dir + "/nope"))
    }
}
