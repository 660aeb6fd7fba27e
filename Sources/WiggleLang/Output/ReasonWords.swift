// ReasonWords.swift — the words for why each random node got its estimator:
// the analysis and the pilot give typed clauses (WiggleAnalysis's
// ReasonClause); here they become the sentence explain, JSON and the
// notebook show, and the brief of `grad`'s table.

import Foundation
import WiggleGraph

/// Reasons in words.
enum ReasonWords {
    /// The whole reason: its clauses joined by semicolons.
    static func sentence(_ clauses: [ReasonClause]) -> String {
        clauses.map(text).joined(separator: "; ")
    }

    /// One clause.
    static func text(_ clause: ReasonClause) -> String {
        switch clause {
        case .requested(let estimator): return "requested by @\(estimator.rawValue)"
        case .smooth: return "every use is smooth"
        case .reaches(let jump): return "reaches \(jump)"
        case .reachesWithoutScore(let jump, let distribution):
            return "reaches \(jump), and a \(distribution) has no score function"
        case .biasedWithoutAlternative(let jump, let distribution):
            return "biased: reaches \(jump), and a \(distribution) has no unbiased estimator there"
        case .biased(let jump): return "biased: reaches \(jump)"
        case .unmoved(let jump): return "reaches \(jump), but no parameter moves it"
        case .parameterFree: return "no parameter moves its distribution"
        case .unread: return "the first derivative's contribution does not depend on it"
        case .enumerated(let points):
            return "its \(points) outcomes are enumerated at the first order, so the second differentiates their probabilities exactly"
        case .folded(let map): return "drawn with the parameters' map \(map) folded into it, so its estimator sees the jump"
        case .worlds(let title, let worlds, let downstream, let count):
            let times = count == 1 ? "once more" : count == 2 ? "twice more" : "\(count) more times"
            let rerun = downstream == 0 ? "its value is the cost itself, nothing to re-run"
                : "runs \(nodes(downstream)) downstream \(times), with common random numbers"
            return "\(title): \(worlds), \(rerun)"
        case .notPossible(let estimator, let refusal): return "@\(estimator.rawValue) is not possible: \(refusal)"
        case .leaveOneOut: return "leave-one-out baseline"
        case .triples: return "each particle carries one alternative path where an outcome would flip, pruned to one by weight"
        case .reparametrisable(let distribution, let can):
            return "a \(distribution) \(can ? "can" : "cannot") be reparametrised"
        case .notRandom: return "not random"
        case .outcomes(let downstream, let count, let commonNumbers):
            return "runs \(nodes(downstream)) downstream \(times(count))" + (commonNumbers ? ", with common random numbers" : "")
        case .tooLargeForOutcomes(let count, let downstream):
            return "downstream graph too large to run \(times(count)) (\(downstream.map { "\($0) nodes" } ?? "too many nodes to track"))"
        case .loopCannotRerun(let place): return "\(place), which cannot be re-run once per outcome"
        case .certain(let probability):
            return "probability exactly \(probability) and moving; the score function would never see the other outcome, the exact derivative does"
        case .splitScore(let pathwise, let jumped, let jump):
            return "pathwise for the \(terms(pathwise)) it reaches smoothly; score for the \(terms(jumped)) it reaches through \(jump)"
        case .splitWorlds(let pathwise, let jumped, let jump, let worlds):
            return "pathwise for the \(terms(pathwise)) it reaches smoothly; for the \(terms(jumped)) it reaches through \(jump), \(text(worlds))"
        case .measureValuedForEveryTerm: return "measure-valued for every term"
        case .pilotKept(let measurement, let other): return kept(measurement, over: other)
        case .pilotTaken(let measurement, let other): return taken(measurement, over: other)
        case .notSplit(let measurement): return "not split by term: " + taken(measurement, over: .pathwiseForSmoothTerms)
        }
    }

    /// What the pilot compared with.
    static func name(_ alternative: PilotAlternative) -> String {
        switch alternative {
        case .measureValued: return "the measure-valued derivative"
        case .score: return "the score function"
        case .pathwise: return "pathwise"
        case .pathwiseAndScoreByTerm: return "pathwise and score by term"
        case .pathwiseForSmoothTerms: return "pathwise for the terms it reaches smoothly"
        case .measureValuedForEveryTerm: return "the measure-valued derivative for every term"
        case .scoreForEveryTerm: return "the score function for every term"
        case .exact(let points): return "the exact \(points)-point derivative"
        case .triples: return "stochastic triples"
        }
    }

    /// "on a pilot of 2,048 (512 for the costlier)".
    static func pilot(_ m: PilotMeasurement) -> String {
        let most = m.particles.max() ?? 0, least = m.particles.min() ?? 0
        return "on a pilot of \(grouped(most))" + (least < most ? " (\(grouped(least)) for the costlier)" : "")
    }

    /// Why the analysis's choice was kept over `other`.
    static func kept(_ m: PilotMeasurement, over other: PilotAlternative) -> String {
        let other = name(other)
        if m.noVariance { return "no gradient variance either way \(pilot(m))" }
        if m.varianceRatio < 1e-6 { return "no gradient variance, unlike \(other), \(pilot(m))" }
        if m.varianceRatio > 1 / 1.05 { return "about the gradient variance of \(other) \(pilot(m)), with less work" }
        return "\(ratio(1 / m.varianceRatio)) lower gradient variance than \(other) \(pilot(m))"
    }

    /// Why the alternative was taken over `other`, the analysis's choice.
    static func taken(_ m: PilotMeasurement, over other: PilotAlternative) -> String {
        let other = name(other)
        if m.varianceRatio >= 1.05 { return "\(ratio(m.varianceRatio)) lower gradient variance than \(other) \(pilot(m))" }
        if m.varianceRatio > 1 / 1.05 { return "about the gradient variance of \(other) \(pilot(m)), with less work" }
        return "lower gradient variance × work than \(other) \(pilot(m)), which has \(ratio(1 / m.varianceRatio)) lower variance at \(ratio(m.workRatio)) the work"
    }

    /// The longest brief in words.
    static let briefWords = 10

    /// Why, in at most ten words, for `grad`'s table: the request (and
    /// whether it is biased) or the jump the node reaches, then what the
    /// pilot measured; else where a loop of random length stands, else the
    /// reason's first clause.
    static func brief(_ clauses: [ReasonClause]) -> String {
        var parts: [String] = []
        let first = clauses.first
        switch first {
        case .requested?:
            parts.append(text(clauses[0]))
            if clauses.contains(where: {
                switch $0 {
                case .biased, .biasedWithoutAlternative: return true
                default: return false
                }
            }) { parts.append("biased") }
        case .reaches?, .reachesWithoutScore?, .unmoved?, .smooth?:
            parts.append(text(clauses[0]))
        default:
            break
        }
        // The first pilot clause's measurement, when it found a difference.
        if let pilot = clauses.first(where: isPilot), let measured = pilotBrief(pilot) { parts.append(measured) }
        if parts.isEmpty, let place = first.flatMap(loopPlace) {
            switch place {
            case .inside(let line): parts.append("inside the random-length loop at line \(line)")
            case .downstream(let line): parts.append("a random-length loop at line \(line) follows")
            }
        }
        if parts.isEmpty, let first {
            parts.append(text(first).components(separatedBy: "; ").first ?? "")
        }
        let words = parts.joined(separator: "; ").split(separator: " ")
        guard words.count > briefWords else { return words.joined(separator: " ") }
        return words.prefix(briefWords).joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ",;")) + "…"
    }

    /// "35× lower variance than score" from a pilot's clause; nil for any
    /// other clause, or a pilot that found about the same.
    static func pilotBrief(_ clause: ReasonClause) -> String? {
        func short(_ alternative: PilotAlternative) -> String {
            switch alternative {
            case .score, .pathwiseAndScoreByTerm, .scoreForEveryTerm: return "score"
            case .measureValued, .measureValuedForEveryTerm: return "mvd"
            case .exact: return "exact"
            case .pathwise, .pathwiseForSmoothTerms: return "pathwise"
            case .triples: return "triples"
            }
        }
        func lower(_ value: Double) -> String { String(ratio(value).dropLast()) }
        switch clause {
        case .pilotKept(let m, let other):
            if m.noVariance || m.varianceRatio > 1 / 1.05 { return nil }
            if m.varianceRatio < 1e-6 { return "no variance, unlike \(short(other))" }
            return "\(lower(1 / m.varianceRatio))× lower variance than \(short(other))"
        case .pilotTaken(let m, let other):
            if m.varianceRatio >= 1.05 { return "\(lower(m.varianceRatio))× lower variance than \(short(other))" }
            if m.varianceRatio > 1 / 1.05 { return nil }
            return "cheaper per variance than \(short(other))"
        case .notSplit(let m):
            return pilotBrief(.pilotTaken(m, over: .pathwiseForSmoothTerms))
        default:
            return nil
        }
    }

    static func isPilot(_ clause: ReasonClause) -> Bool {
        switch clause {
        case .pilotKept, .pilotTaken, .notSplit: return true
        default: return false
        }
    }

    /// Where a loop of random length stands, when the clause says.
    static func loopPlace(_ clause: ReasonClause) -> LoopPlace? {
        switch clause {
        case .loopCannotRerun(let place), .notPossible(_, .loop(let place)): return place
        default: return nil
        }
    }

    static func nodes(_ count: Int) -> String { count == 1 ? "1 node" : "\(count) nodes" }
    static func times(_ count: Int) -> String { count == 2 ? "twice" : "\(count) times" }
    static func terms(_ count: Int) -> String { count == 1 ? "term" : "\(count) terms" }

    /// "3.1×", "12×", "240×".
    static func ratio(_ value: Double) -> String {
        if !value.isFinite || value >= 1e6 { return "over 10⁶×" }
        return String(format: value < 9.95 ? "%.1f×" : "%.0f×", value)
    }

    /// 2048 as "2,048".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }
}
