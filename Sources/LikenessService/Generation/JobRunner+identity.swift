import Foundation
import LikenessCore
import LikenessEngines
import LikenessFaces
import LikenessStore
import Logging

/// Identity scores and the consistency guard, between the engine and the stored images.
extension JobRunner {
    /// The images a job delivers after its identity checks, and their report.
    struct IdentityOutcome: Sendable {
        var images: [EngineImage]
        /// Withheld by a `strict` guard: counted as failed, never charged.
        var withheld: Int
        var report: IdentityReport?
    }

    /// Scores `output` against the reference's face and, when the request set a guard, makes the
    /// images under its threshold again with new seeds until they pass or the attempts are spent.
    /// Each slot keeps its best image. Every extra engine call is logged, and paid upstream like
    /// any other; the caller is charged only for what is delivered.
    func checkIdentity(
        of output: EngineOutput, job: EngineJob, reference: IdentityCheck.Reference, engine: any ImageEngine
    ) async throws -> IdentityOutcome {
        guard let face = reference.face else {
            let report = reference.note.map { IdentityReport(scores: output.images.map { _ in nil }, note: $0) }
            return IdentityOutcome(images: output.images, withheld: 0, report: report)
        }
        var best = output.images
        var scores = await identity.scores(best, against: face, logger: book.logger)
        for score in scores { book.metrics.identityScore(score) }
        let request = job.request
        guard let rule = request.identityGuard else {
            return IdentityOutcome(
                images: best, withheld: 0, report: IdentityReport(scores: scores, note: reference.note))
        }

        var attempts = 1
        // Which seed made each slot's image; unknown when content safety returned fewer images.
        var bestSeeds: [UInt64]? = best.count == job.seeds.count ? job.seeds : nil
        while attempts < rule.maxAttempts {
            // An unscored image (no bytes here) cannot be judged, so it is not made again.
            let failing = scores.indices.filter { scores[$0].map { $0 < rule.threshold } ?? false }
            guard !failing.isEmpty else { break }
            attempts += 1
            // Consecutive seeds from one new base, as every engine reads a request's seed (image `i`
            // uses `seed + i`), and sent as the request's seed so an upstream draws new images too.
            let base = Self.retrySeed(job.seeds[failing[0]], attempt: attempts)
            let seeds = failing.indices.map { base &+ UInt64($0) }
            for (slot, seed) in zip(failing, seeds) {
                book.logLater(
                    jobID: job.id,
                    "Identity: image \(slot + 1) scored \(IdentityReport.formatted(scores[slot])) (under \(rule.threshold)); "
                        + "making it again with seed \(seed) (attempt \(attempts) of \(rule.maxAttempts))",
                    source: .identity)
            }
            var retry = request
            retry.count = failing.count
            retry.seed = Int64(bitPattern: base)
            let again: EngineOutput
            do {
                again = try await engine.generate(
                    EngineJob(id: job.id, request: retry, seeds: seeds, referenceImage: job.referenceImage)
                ) { [self] progress in book.logLater(jobID: job.id, progress.message, source: .engine) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // What was made already still stands: deliver the best so far.
                await book.log(
                    jobID: job.id, "Identity: attempt \(attempts) failed (\(error)); keeping the best images so far",
                    level: .warning, source: .identity)
                break
            }
            book.metrics.identityRetries(failing.count)
            let againScores = await identity.scores(again.images, against: face, logger: book.logger)
            for score in againScores { book.metrics.identityScore(score) }
            // Content safety may return fewer images than asked: they fill the failing slots in order.
            let madeFrom = again.images.count == seeds.count ? seeds : nil
            for (position, (slot, (image, score))) in zip(failing, zip(again.images, againScores)).enumerated()
            where (score ?? -1) > (scores[slot] ?? -1) {
                best[slot] = image
                scores[slot] = score
                if let madeFrom { bestSeeds?[slot] = madeFrom[position] } else { bestSeeds = nil }
            }
        }

        let report = IdentityReport(
            scores: scores, threshold: rule.threshold, attempts: attempts, note: reference.note,
            seeds: attempts > 1 ? bestSeeds : nil)
        let summary = scores.map(IdentityReport.formatted).joined(separator: ", ")
        book.logLater(
            jobID: job.id,
            "Identity: scores \(summary) against threshold \(rule.threshold) after \(attempts) attempt"
                + "\(attempts == 1 ? "" : "s")", source: .identity)
        guard rule.policy == .strict else { return IdentityOutcome(images: best, withheld: 0, report: report) }
        let passed = report.passed ?? []
        let kept = passed.indices.filter { passed[$0] }
        guard !kept.isEmpty else {
            let highest = scores.compactMap { $0 }.max().map(IdentityReport.formatted) ?? "none"
            throw APIError(
                .sensitiveOutput,
                "every image was withheld: none reached identity_threshold \(rule.threshold) in \(attempts) "
                    + "attempt\(attempts == 1 ? "" : "s") (best score \(highest)); nothing was charged")
        }
        return IdentityOutcome(
            images: kept.map { best[$0] }, withheld: best.count - kept.count,
            report: IdentityReport(
                scores: kept.map { scores[$0] }, threshold: rule.threshold, attempts: attempts, note: reference.note,
                seeds: bestSeeds.map { seeds in kept.map { seeds[$0] } }))
    }

    /// A new seed for an image made again: derived from its first seed and the attempt, so a
    /// request with a fixed seed stays reproducible.
    static func retrySeed(_ seed: UInt64, attempt: Int) -> UInt64 {
        var mixed = seed &+ UInt64(attempt) &* 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
