import Foundation
import LikenessCore

/// Identity scores as every dialect adds them to its answer: beside each image,
/// `identity_score` (0…1, or null when it could not be scored) and, with a guard,
/// `identity_passed`; once for the answer, `identity_note` (several faces in the reference, or
/// none). Extra fields that the dialects' real clients ignore or keep.
extension JSONWriter {
    /// `,"identity_score":…,"identity_passed":…` for image `index`, when the report has one.
    public mutating func identityFields(_ report: IdentityReport?, image index: Int) {
        guard let report, report.scores.indices.contains(index) else { return }
        raw(",\"identity_score\":")
        if let score = report.scores[index] { number(IdentityReport.rounded(score)) } else { raw("null") }
        if let passed = report.passed, passed.indices.contains(index) {
            raw(",\"identity_passed\":")
            passed[index] ? raw("true") : raw("false")
        }
    }

    /// `,"identity_note":…` when the report has a note.
    public mutating func identityNote(_ report: IdentityReport?) {
        guard let note = report?.note else { return }
        raw(",\"identity_note\":")
        string(note)
    }
}
