import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What OpenBLAS runs on, and the choice of its kernel for this CPU.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs (it reports `Prescott`, SSE3
/// kernels) and then runs sgemm about 4.7x slower than the hardware allows. OpenBLAS reads
/// `OPENBLAS_CORETYPE` once, when the library loads, so the kernel must be chosen before the
/// process starts:
///
/// - the `forecast` executable calls ``reexecWithBestKernelIfNeeded()`` first thing in `main`,
///   which re-executes the program once with `OPENBLAS_CORETYPE` set when the CPU flags allow a
///   better kernel and the user has not set the variable (a user's own setting always wins);
/// - library users call ``kernelCheck()`` (or read ``KernelCheck/warning``) and set
///   `OPENBLAS_CORETYPE` in their launch environment when it reports a slower kernel.
public enum BLASRuntime {
    /// The kernel family OpenBLAS picked at load time, e.g. `Haswell`, `SkylakeX`, `Prescott`.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p).trimmingCharacters()
    }

    /// OpenBLAS's build configuration string (version, DYNAMIC_ARCH, threading model).
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p).trimmingCharacters()
    }

    /// Threads OpenBLAS uses inside one BLAS call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses inside one call (1 inside data-parallel workers).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// CPU feature flags that decide which kernels can run (from /proc/cpuinfo on Linux).
    public static var cpuFlags: Set<String> {
        #if os(Linux)
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            guard let l = line else { break }
            let s = String(cString: l)
            if s.hasPrefix("flags") {
                let parts = s.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { return Set(parts[1].split(separator: " ").map { String($0).trimmingCharacters() }) }
            }
        }
        return []
        #else
        return []
        #endif
    }

    /// The flags the choice looks at, in the order `forecast doctor` prints them.
    public static let relevantFlags = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

    /// The best OpenBLAS core type these flags can run: `SkylakeX` with AVX-512 (F, BW, DQ, VL),
    /// `Haswell` with AVX2 and FMA, otherwise nil (leave OpenBLAS's own detection alone).
    public static func bestCoreType(flags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The vector width class of an OpenBLAS core name: 3 AVX-512, 2 AVX2, 1 AVX, 0 SSE or unknown.
    /// Kernels of one class run sgemm at about the same speed (Cooperlake reuses SkylakeX's).
    public static func tier(ofCore name: String) -> Int {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "skylake", "excavator", "steamroller": return 2
        case "sandybridge", "bulldozer", "piledriver": return 1
        default: return 0
        }
    }

    /// The result of comparing the running kernel with what the CPU allows.
    public struct KernelCheck: Sendable {
        /// Kernel OpenBLAS is running.
        public let running: String
        /// Best kernel for this CPU's flags, if any is known.
        public let best: String?
        /// `OPENBLAS_CORETYPE` as set in the environment (by the user or by the re-exec).
        public let environmentSetting: String?
        /// True when the process set `OPENBLAS_CORETYPE` itself by re-executing.
        public let chosenByForecast: Bool
        /// A one-line warning when a faster kernel is available but not in use, else nil.
        public var warning: String? {
            guard let best, BLASRuntime.tier(ofCore: running) < BLASRuntime.tier(ofCore: best) else { return nil }
            let who = environmentSetting != nil && !chosenByForecast ? " (OPENBLAS_CORETYPE=\(environmentSetting!) is set in the environment)" : ""
            return "OpenBLAS runs the \(running) kernel\(who); this CPU supports \(best), which runs sgemm faster (up to 4.7x over SSE3 kernels). Set OPENBLAS_CORETYPE=\(best) before the process starts."
        }
    }

    /// Compares the running kernel with the best one for this CPU. Library users should call
    /// this once at start-up and surface ``KernelCheck/warning``.
    public static func kernelCheck() -> KernelCheck {
        let env = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        let ours = getenv(reexecMarker) != nil
        return KernelCheck(running: coreName, best: bestCoreType(flags: cpuFlags), environmentSetting: env, chosenByForecast: ours)
    }

    /// Environment variable the re-exec sets so it happens at most once.
    public static let reexecMarker = "FORECAST_BLAS_REEXEC"

    /// For executables: when `OPENBLAS_CORETYPE` is unset and this CPU can run a faster kernel
    /// than OpenBLAS would detect, set the variable and replace this process with a fresh copy
    /// of itself (same arguments), so OpenBLAS loads with the right kernel. Returns (doing
    /// nothing) when the user has set the variable, when `FORECAST_NO_BLAS_REEXEC` is set, when
    /// it already ran once, or when exec fails.
    public static func reexecWithBestKernelIfNeeded() {
        #if os(Linux)
        if getenv("OPENBLAS_CORETYPE") != nil || getenv(reexecMarker) != nil || getenv("FORECAST_NO_BLAS_REEXEC") != nil { return }
        guard let best = bestCoreType(flags: cpuFlags) else { return }
        if tier(ofCore: coreName) >= tier(ofCore: best) { return }
        setenv("OPENBLAS_CORETYPE", best, 1)
        setenv(reexecMarker, "1", 1)
        let args = CommandLine.unsafeArgv
        execv("/proc/self/exe", args)
        // exec failed: carry on with the detected kernel, but leave the variables unset again.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(reexecMarker)
        #endif
    }

    /// Multiplies two fixed pseudo-random matrices (257x511 by 511x129) with the running
    /// kernel and returns the largest absolute error against a double-precision loop:
    /// a self-test that the chosen kernel computes correctly on this CPU.
    public static func sgemmSelfTest() -> Float {
        let m = 257, k = 511, n = 129
        var rng = SeededGenerator(seed: 42)
        let a = (0..<(m * k)).map { _ in rng.nextFloat(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
        } } }
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                worst = max(worst, Float(abs(s - Double(c[i * n + j]))))
            }
        }
        return worst
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingCharacters() -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s = s.dropFirst() }
        while let l = s.last, ws.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
