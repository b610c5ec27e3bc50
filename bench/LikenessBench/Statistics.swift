import Foundation

/// Order statistics over samples in milliseconds.
struct Samples {
    private(set) var values: [Double] = []

    mutating func add(_ value: Double) { values.append(value) }

    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count - 1)).rounded())
        return sorted[min(sorted.count - 1, max(0, rank))]
    }

    var median: Double { percentile(0.5) }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", value)
}

func row(_ cells: [String]) -> String {
    "| " + cells.joined(separator: " | ") + " |"
}

/// A process's resident set size now and its peak, in MiB, from its Linux `/proc/<pid>/status`
/// (NaN where there is none).
func processMemory(_ statusPath: String) -> (current: Double, peak: Double) {
    let status = (try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? ""
    func field(_ name: String) -> Double {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name) } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan) / 1024
    }
    return (field("VmRSS:"), field("VmHWM:"))
}
