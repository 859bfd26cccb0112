import Foundation
import Forecast
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RetrainJob {
    /// Does one night's work: locks the registry, repairs what an interrupted run left, reads
    /// the data, trains a challenger (warm: fine-tunes the champion; cold: fresh weights; an
    /// interrupted training resumes from its checkpoint), scores champion and challenger on the
    /// same holdout, saves the challenger as a new version, promotes it when the rule allows,
    /// prunes old versions and writes the report.
    ///
    /// Never throws: every failure is a report whose ``RetrainReport/outcome`` says what went
    /// wrong (and carries the exit code).
    ///
    /// - Parameters:
    ///   - logger: where structured logs go (each record carries `run_id`); default: a
    ///     `Logger` labelled `forecast.retrain` from the process's logging system.
    ///   - onEvent: training progress events.
    public func run(logger: Logger? = nil, onEvent: ((TrainingEvent) -> Void)? = nil) -> RetrainReport {
        RetrainRunner(job: self, logger: logger, onEvent: onEvent).run()
    }
}

/// The state of an unfinished run, in `REGISTRY/NAME/.work/state.json`: a rerun with the same
/// data and settings resumes its checkpoint; anything else starts over.
struct WorkState: Codable, Equatable {
    var version: Int
    var dataSha256: String
    var runHash: String
    var mode: RetrainJob.Mode
    var parent: Int?
    var runId: String
    var startedAt: String

    func sameWork(as o: WorkState) -> Bool {
        version == o.version && dataSha256 == o.dataSha256 && runHash == o.runHash && mode == o.mode && parent == o.parent
    }

    /// The state in the work folder `work` (`state.json`, not through a link); nil when it is
    /// missing or unreadable.
    static func load(_ work: DirectoryHandle) -> WorkState? {
        guard let bytes = try? work.read("state.json", maxBytes: 1 << 20) else { return nil }
        return try? registryDecoder().decode(WorkState.self, from: Data(bytes))
    }
}

/// Test hook: `FORECAST_RETRAIN_KILL_AT=<point>` makes the process SIGKILL itself at that point
/// of a run (crash-safety tests). Points: after-lock, after-recover, after-state, after-epoch-N,
/// after-train, after-version-file, after-commit, after-switch, after-prune, after-report.
func retrainCrashPoint(_ name: String) {
    if let want = getenv("FORECAST_RETRAIN_KILL_AT"), String(cString: want) == name {
        kill(getpid(), SIGKILL)
    }
}

final class RetrainRunner {
    let job: RetrainJob
    let runId: String
    var logger: Logger
    let onEvent: ((TrainingEvent) -> Void)?
    let start = Date()
    let startedAt: String
    var report: RetrainReport
    var registry: ModelRegistry?

    init(job: RetrainJob, logger: Logger?, onEvent: ((TrainingEvent) -> Void)?) {
        self.job = job
        self.onEvent = onEvent
        let stamp = RetrainRunner.compactStamp(Date())
        runId = stamp + "-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        var l = logger ?? Logger(label: "forecast.retrain")
        l[metadataKey: "run_id"] = "\(runId)"
        l[metadataKey: "model"] = "\(job.registry.name)"
        self.logger = l
        startedAt = ISO8601DateFormatter().string(from: start)
        report = RetrainReport(runId: runId, job: job.jobPath, registry: job.registry.path, model: job.registry.name,
                               startedAt: startedAt, finishedAt: startedAt, durationSeconds: 0, outcome: .failed,
                               exitCode: RetrainOutcome.failed.exitCode, message: "", promotion: nil)
    }

    static func compactStamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: d)
    }

    // MARK: Outcomes

    func run() -> RetrainReport {
        logger.info("retrain started", metadata: ["job": "\(job.jobPath)", "registry": "\(job.registry.folder)"])
        do {
            try runLocked()
        } catch let e as RetrainError {
            switch e {
            case .lockHeld(let m): finish(.lockHeld, m, writeFiles: false)
            case .invalidJob(let m): finish(.invalidJob, m, writeFiles: false)
            case .registry(let m): finish(.failed, m)
            }
        } catch let e as DataError {
            finish(.dataError, e.description)
        } catch let e as TrainingError {
            switch e {
            case .nonFinite:
                clearWork()
                let what = e.description.components(separatedBy: "; the last good checkpoint").first ?? e.description
                finish(.diverged, "\(what); nothing was saved and the champion stays current (try a lower training.learning_rate or retrain.warm_learning_rate)")
            case .emptyTrainingSet:
                finish(.dataError, e.description)
            default:
                finish(.failed, e.description)
            }
        } catch {
            finish(.failed, "\(error)")
        }
        return report
    }

    /// Completes the report, writes it (when the lock is ours) and logs the end.
    func finish(_ outcome: RetrainOutcome, _ message: String, writeFiles: Bool = true) {
        report.outcome = outcome
        report.exitCode = outcome.exitCode
        report.message = message
        report.current = registry?.manifest.current
        report.finishedAt = ISO8601DateFormatter().string(from: Date())
        report.durationSeconds = Date().timeIntervalSince(start)
        if writeFiles, let registry {
            do { try registry.writeFile(ModelRegistry.lastRunName, Array((report.json() + "\n").utf8)) } catch {
                logger.warning("cannot write the run report", metadata: ["path": "\(registry.lastRunPath)", "error": "\(error)"])
            }
            for path in [job.reportPath].compactMap({ $0 }) {
                do {
                    let dir = (path as NSString).deletingLastPathComponent
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    try AtomicFile.write(report.json() + "\n", to: path)
                } catch {
                    logger.warning("cannot write the run report", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
        }
        let meta: Logger.Metadata = ["outcome": "\(outcome.rawValue)", "exit_code": "\(outcome.exitCode)",
                                     "seconds": "\(String(format: "%.2f", report.durationSeconds))"]
        switch outcome {
        case .promoted, .keptChampion, .upToDate: logger.notice("retrain finished: \(message)", metadata: meta)
        default: logger.error("retrain failed: \(message)", metadata: meta)
        }
    }

    func note(_ s: String, warning: Bool = false) {
        report.notes.append(s)
        if warning { logger.warning("\(s)") } else { logger.info("\(s)") }
    }

    /// Removes the work folder (never following a link); a failure is a warning (the next
    /// run starts over anyway).
    func clearWork() {
        guard let registry else { return }
        do { try registry.removeWork() } catch { logger.warning("cannot remove the work folder", metadata: ["error": "\(error)"]) }
    }

    // MARK: The run

    func runLocked() throws {
        let (registry, lock) = try ModelRegistry.lockedForRun(folder: job.registry.folder, runID: runId)
        defer { lock.release() }
        try registry.markIfNew()
        self.registry = registry
        retrainCrashPoint("after-lock")
        if let stale = lock.staleOwner {
            let pid = RegistryLock.pid(of: stale).map { "pid \($0)" } ?? "unknown pid"
            note("took over the lock left by a run that ended without releasing it (\(pid): \(stale))", warning: true)
        }
        try registry.reload()
        for repair in try registry.recover() { note(repair, warning: true) }
        retrainCrashPoint("after-recover")
        report.promotion = job.retrain.promotion

        // A run interrupted after its commit: finish its last steps.
        if let work = try registry.workDirectory(create: false), let ws = WorkState.load(work),
           let entry = registry.manifest.versions.first(where: { $0.version == ws.version }), entry.data.sha256 == ws.dataSha256 {
            note("finishing run \(ws.runId), interrupted after it saved \(entry.file)", warning: true)
            describe(entry)
            report.pruned = try registry.prune(keep: job.registry.keep)
            finish(entry.promoted ? .promoted : .keptChampion, entry.reason)
            clearWork()
            return
        }

        // Data.
        let readStart = Date()
        let data = try job.readData()
        let readSeconds = Date().timeIntervalSince(readStart)
        for n in data.notes { note(n) }
        let latest = registry.manifest.versions.max { $0.version < $1.version }
        let maxRows = data.longest
        report.data = RetrainReport.DataSummary(
            source: job.data.path, files: data.files.map { ($0 as NSString).lastPathComponent }, bytes: data.bytes,
            rowsRead: data.rowsRead, duplicateRows: data.duplicateRows, rows: data.rows,
            rowsAdded: latest.map { data.rows - $0.data.rows }, series: data.seriesCount,
            firstTime: data.firstTime, lastTime: data.lastTime, sha256: data.sha256, holdoutRows: nil,
            grid: data.grid.map { "\($0.height)x\($0.width)" })
        logger.info("data read", metadata: ["files": "\(data.files.count)", "rows_read": "\(data.rowsRead)", "rows": "\(data.rows)",
                                            "duplicates": "\(data.duplicateRows)", "rows_added": "\(report.data?.rowsAdded.map(String.init) ?? "n/a")",
                                            "sha256": "\(data.sha256)"])

        let runHash = job.runSettingsHash
        if let latest, latest.data.sha256 == data.sha256, latest.settings.runHash == runHash {
            clearWork()
            report.pruned = try registry.prune(keep: job.registry.keep)
            finish(.upToDate, "no new data since \(latest.file) (same data SHA-256 and settings); nothing to do")
            return
        }

        // Holdout: the same last rows of every series score both models; neither trains on them.
        let holdoutRows = job.retrain.holdout.rows(of: maxRows)
        guard holdoutRows >= 1, holdoutRows < maxRows else {
            throw DataError.invalidArgument("\(job.data.path): the holdout (\(job.retrain.holdout)) does not fit the data's \(maxRows) rows per series")
        }
        let testFraction = Double(holdoutRows) / Double(maxRows)
        guard testFraction + job.training.validation < 0.95 else {
            throw DataError.invalidArgument("\(job.data.path): \(maxRows) rows per series are too few for a holdout of \(holdoutRows) rows plus \(Int(job.training.validation * 100))% validation")
        }
        let split = HoldoutSplit(validation: job.training.validation, test: testFraction)
        report.data?.holdoutRows = holdoutRows

        // Champion and mode.
        let champion = try registry.loadCurrent()
        var mode = job.retrain.mode
        var modeReason: String? = nil
        if mode == .warm {
            if champion == nil { mode = .cold; modeReason = "no champion yet" }
            else if champion?.entry.settings.modelHash != job.modelSettingsHash {
                mode = .cold; modeReason = "the model settings differ from the champion's"
            }
        }
        let parent = mode == .warm ? champion?.entry.version : nil
        let version = registry.manifest.nextVersion
        guard version <= RegistryManifest.maxVersion else {
            throw RetrainError.registry("\(registry.manifestPath): nextVersion \(version) is past the last version number \(RegistryManifest.maxVersion); start a new registry")
        }
        // Never train for a name that is taken: saving would have to overwrite it.
        guard try registry.versionFileKind(version) == .missing else {
            throw RetrainError.registry("\(registry.path(version: version)): exists although manifest.json does not name version \(version); refusing to overwrite it (move the file away, or fix nextVersion in \(registry.manifestPath))")
        }

        // Work state: resume the same work, or start over.
        let state = WorkState(version: version, dataSha256: data.sha256, runHash: runHash, mode: mode, parent: parent,
                              runId: runId, startedAt: startedAt)
        let checkpoint = registry.workFolder + "/checkpoint.safetensors"
        var resume = false
        if let work = try registry.workDirectory(create: false), let old = WorkState.load(work), old.sameWork(as: state) {
            // The checkpoint is only read when it is a regular file (not a link or FIFO).
            let kind = try? work.kind("checkpoint.safetensors")
            if kind != nil && kind != .missing && kind != .file { work.remove("checkpoint.safetensors") }
            resume = kind == .file
            note("resuming run \(old.runId) (interrupted)\(resume ? " from its checkpoint" : "")", warning: true)
        } else {
            if try registry.workDirectory(create: false) != nil {
                try registry.removeWork()
                note("discarded the unfinished work of an earlier run (other data or settings)")
            }
            let work = try registry.workDirectory(create: true)
            do {
                try work?.writeAtomically([UInt8](registryEncoder(pretty: true).encode(state)), to: "state.json")
            } catch { throw RetrainError.registry("\(registry.workFolder)/state.json: cannot record the run's state: \((error as? FileError)?.message ?? "\(error)")") }
        }
        retrainCrashPoint("after-state")

        // Train.
        let trainStart = Date()
        let planned = mode == .warm ? job.retrain.warmEpochs : job.training.epochs
        let priorEpochs = mode == .warm ? (champion?.model.history.count ?? 0) : 0
        var resumedFrom: Int? = nil
        var epochsOverride: Int? = nil
        if resume {
            do {
                let archive = try ModelArchive.read(path: checkpoint, expecting: .checkpoint)
                let st = try archive.section("trainer", as: CheckpointProgress.self, path: checkpoint)
                resumedFrom = st.epoch
                // A checkpoint written when training had already ended (early stop or last
                // epoch) must not train on: restore its best weights as the finished run did.
                let stopped = (job.training.patience.map { st.badEpochs >= $0 } ?? false) || st.epoch >= planned
                if stopped { epochsOverride = st.epoch }
            } catch {
                note("the checkpoint of the interrupted run is unusable (\(error)); training from the start", warning: true)
                unlink(checkpoint)
                resume = false
            }
        }
        report.training = RetrainReport.TrainingSummary(mode: mode, modeReason: modeReason.map { "\($0): cold training" }, parent: parent,
                                                        epochs: 0, bestEpoch: 0, resumedFromEpoch: resumedFrom, seconds: 0)
        logger.info("training", metadata: ["mode": "\(mode.rawValue)", "parent": "\(parent.map(String.init) ?? "none")",
                                           "version": "\(version)", "epochs": "\(planned)",
                                           "resumed_from_epoch": "\(resumedFrom.map(String.init) ?? "none")"])
        let log = logger
        let forward = onEvent
        let handler: (TrainingEvent) -> Void = { event in
            forward?(event)
            switch event {
            case let .epoch(r, epochs, improved, _, _):
                var meta: Logger.Metadata = ["epoch": "\(r.epoch)", "epochs": "\(epochs)", "loss": "\(r.trainLoss)", "improved": "\(improved)"]
                if let v = r.validationLoss { meta["val_loss"] = "\(v)" }
                log.debug("epoch", metadata: meta)
            case let .checkpoint(_, epoch):
                retrainCrashPoint("after-epoch-\(epoch)")
            case let .earlyStop(epoch, best, _):
                log.info("early stop", metadata: ["epoch": "\(epoch)", "best_epoch": "\(best)"])
            default: break
            }
        }
        func train(resume: Bool) throws -> AnyModel {
            switch mode {
            case .cold:
                return try job.trainCold(data, split: split, epochs: epochsOverride, checkpoint: checkpoint, resume: resume, onEvent: handler)
            case .warm:
                guard let champ = champion?.model else { throw RetrainError.registry("warm start without a champion") }
                return try job.trainWarm(champ, data, split: split, epochs: epochsOverride, checkpoint: checkpoint, resume: resume, onEvent: handler)
            }
        }
        var challenger: AnyModel
        do {
            challenger = try train(resume: resume)
        } catch TrainingError.badCheckpoint(let why) where resume {
            note("the checkpoint of the interrupted run does not fit (\(why)); training from the start", warning: true)
            unlink(checkpoint)
            epochsOverride = nil
            report.training?.resumedFromEpoch = nil
            challenger = try train(resume: false)
        }
        challenger = challenger.recording(dataFile: job.data.path, dataSHA256: data.sha256, plannedEpochs: planned)
        let trainSeconds = Date().timeIntervalSince(trainStart)
        let history = challenger.history
        let epochsRun = max(0, history.count - priorEpochs)
        let bestEpoch = max(0, challenger.bestEpoch)
        report.training?.epochs = epochsRun
        report.training?.bestEpoch = bestEpoch
        report.training?.seconds = trainSeconds
        retrainCrashPoint("after-train")

        // Score both on the holdout.
        let evalStart = Date()
        let metric = job.retrain.promotion.metric
        let challengerScore = try job.score(challenger, on: data, split: split)
        var challengerValue = challengerScore.value
        var championScore: HoldoutScore? = nil
        var championProblem: String? = nil
        if let champ = champion {
            do { championScore = try job.score(champ.model, on: data, split: split) }
            catch { championProblem = "\(error)" }
        }
        var championValue = championScore.map(\.value)
        // A MASE is undefined when the reference's holdout error is 0 (a radar night with no
        // rain: persistence is exact). Both models are scored on the same holdout with the same
        // denominator, so comparing their MAEs decides exactly as a relative MASE rule would.
        var tolerance = job.retrain.promotion.tolerance
        var metricName = metric.rawValue.uppercased()
        var decidingMetric = metric
        if metric == .mase, !challengerValue.isFinite, challengerScore.mae.isFinite {
            challengerValue = challengerScore.mae
            championValue = championScore.map(\.mae)
            metricName = "MAE"
            decidingMetric = .mae
            if !job.retrain.promotion.relative { tolerance = 0 }
            note("the holdout MASE is undefined (the reference forecast's error on this holdout is 0); promotion compares MAE instead"
                 + (job.retrain.promotion.relative ? "" : ", with tolerance 0 (an absolute MASE tolerance has no MAE equivalent)"), warning: true)
        }
        let evaluateSeconds = Date().timeIntervalSince(evalStart)
        report.challenger = RetrainReport.ModelScore(version: version, value: challengerValue, metrics: challengerScore.series,
                                                     gridMetrics: challengerScore.grid)
        if let champ = champion {
            report.champion = RetrainReport.ModelScore(version: champ.entry.version, value: championValue, metrics: championScore?.series,
                                                       gridMetrics: championScore?.grid)
        }
        logger.info("scored on the holdout", metadata: ["metric": "\(metric.rawValue)", "challenger": "\(challengerValue)",
                                                        "champion": "\(championValue.map { "\($0)" } ?? "none")"])
        guard challengerValue.isFinite else {
            clearWork()
            finish(.diverged, "the challenger's holdout \(metricName) is not finite (\(challengerValue)); nothing was saved and the champion stays current")
            return
        }

        // Decide.
        let name = metricName
        let promoted: Bool
        let reason: String
        let tol = tolerance
        if let champ = champion {
            let cv = ModelRegistry.fileName(version: champ.entry.version)
            if let problem = championProblem {
                promoted = false
                reason = "the champion \(cv) could not be scored on this holdout (\(problem)); kept it to be safe"
            } else if let c = championValue, c.isFinite {
                let limit = job.retrain.promotion.relative ? c * (1 + tol) : c + tol
                let rule = job.retrain.promotion.relative ? "\(formatMetric(c)) x \(String(format: "%g", 1 + tol))" : "\(formatMetric(c)) + \(String(format: "%g", tol))"
                promoted = challengerValue <= limit
                reason = promoted
                    ? "holdout \(name) \(formatMetric(challengerValue)) <= \(rule) = \(formatMetric(limit)) (champion \(cv)): promoted"
                    : "holdout \(name) \(formatMetric(challengerValue)) > \(rule) = \(formatMetric(limit)) (champion \(cv)): not promoted, \(cv) stays current"
            } else {
                promoted = true
                reason = "the champion \(cv) scores a non-finite \(name) on this holdout; the challenger scores \(formatMetric(challengerValue))"
            }
        } else {
            promoted = true
            reason = "first version (no champion yet); holdout \(name) \(formatMetric(challengerValue))"
        }

        // Save the version, then commit it to the manifest, then switch current.
        let file = registry.path(version: version)
        try registry.saveVersion(challenger, version: version)
        retrainCrashPoint("after-version-file")
        let fileSha: String, tensorSha: String
        do {
            let bytes = try registry.directory.read(ModelRegistry.fileName(version: version))
            fileSha = SHA256.hex(bytes)
            tensorSha = try SafeTensorsFile.decode(bytes, path: file).metadata["sha256"] ?? ""
        } catch { throw RetrainError.registry("cannot read back the new version: \(error)") }
        let window = challenger.window
        let entry = RegistryManifest.Version(
            version: version, file: ModelRegistry.fileName(version: version), fileSha256: fileSha, tensorSha256: tensorSha,
            createdAt: ISO8601DateFormatter().string(from: Date()), runId: runId, mode: mode, parent: parent,
            data: RegistryManifest.DataRecord(source: job.data.path, sha256: data.sha256, files: data.files.count, rowsRead: data.rowsRead,
                                              rows: data.rows, rowsAdded: latest.map { data.rows - $0.data.rows } ?? data.rows,
                                              series: data.seriesCount, firstTime: data.firstTime, lastTime: data.lastTime, holdoutRows: holdoutRows),
            settings: RegistryManifest.SettingsRecord(modelHash: job.modelSettingsHash, runHash: runHash, data: job.data, model: job.model,
                                                      training: job.training, retrain: job.retrain,
                                                      lookback: window.lookback, horizon: window.horizon),
            training: RegistryManifest.TrainingRecord(epochs: epochsRun, bestEpoch: bestEpoch, resumedFromEpoch: report.training?.resumedFromEpoch,
                                                      trainLoss: history.last?.trainLoss, validationLoss: history.last?.validationLoss),
            metrics: RegistryManifest.MetricsRecord(metric: decidingMetric, challenger: challengerValue, champion: championValue,
                                                    championVersion: champion?.entry.version, challengerReport: challengerScore.series,
                                                    championReport: championScore?.series, challengerGridReport: challengerScore.grid,
                                                    championGridReport: championScore?.grid),
            timings: RegistryManifest.Timings(readSeconds: readSeconds, trainSeconds: trainSeconds, evaluateSeconds: evaluateSeconds,
                                              totalSeconds: Date().timeIntervalSince(start)),
            promoted: promoted, reason: reason)
        var m = registry.manifest
        m.versions.append(entry)
        m.nextVersion = version + 1
        if promoted { m.current = version }
        try registry.save(m)
        logger.notice(promoted ? "promoted" : "kept champion", metadata: ["version": "\(version)", "reason": "\(reason)"])
        retrainCrashPoint("after-commit")
        if promoted { try registry.switchCurrent(to: version) }
        retrainCrashPoint("after-switch")
        report.pruned = try registry.prune(keep: job.registry.keep)
        if !report.pruned.isEmpty { logger.info("pruned", metadata: ["versions": "\(report.pruned.map(String.init).joined(separator: ","))"]) }
        retrainCrashPoint("after-prune")
        finish(promoted ? .promoted : .keptChampion, reason)
        retrainCrashPoint("after-report")
        clearWork()
    }

    /// Fills the report from a committed version (finishing an interrupted run).
    func describe(_ e: RegistryManifest.Version) {
        report.data = RetrainReport.DataSummary(source: e.data.source, files: [], bytes: 0, rowsRead: e.data.rowsRead, duplicateRows: 0,
                                                rows: e.data.rows, rowsAdded: e.data.rowsAdded, series: e.data.series,
                                                firstTime: e.data.firstTime, lastTime: e.data.lastTime, sha256: e.data.sha256,
                                                holdoutRows: e.data.holdoutRows)
        report.training = RetrainReport.TrainingSummary(mode: e.mode, modeReason: nil, parent: e.parent, epochs: e.training.epochs,
                                                        bestEpoch: e.training.bestEpoch, resumedFromEpoch: e.training.resumedFromEpoch,
                                                        seconds: e.timings.trainSeconds)
        report.challenger = RetrainReport.ModelScore(version: e.version, value: e.metrics.challenger, metrics: e.metrics.challengerReport,
                                                     gridMetrics: e.metrics.challengerGridReport)
        if let cv = e.metrics.championVersion {
            report.champion = RetrainReport.ModelScore(version: cv, value: e.metrics.champion, metrics: e.metrics.championReport,
                                                       gridMetrics: e.metrics.championGridReport)
        }
    }
}
