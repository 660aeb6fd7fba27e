import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WiggleLang

/// The charts as SVG: well-formed XML with axes, ticks, labels and the
/// marks of each chart.
@Suite struct SVGTests {
    /// The displayed values of a program.
    func shown(_ program: String) -> [Value] {
        var values: [Value] = []
        _ = Session().run(program) { output in
            if case .display(let value, _, _) = output { values.append(value) }
        }
        return values
    }

    /// The document, or nil when it is not well-formed XML.
    func parse(_ svg: String) -> XMLDocument? { try? XMLDocument(xmlString: svg, options: []) }

    func elements(_ document: XMLDocument, _ path: String) -> [XMLNode] { (try? document.nodes(forXPath: path)) ?? [] }

    @Test func histogramOfWholeNumbers() throws {
        let values = shown("set(seed = 1, particles = 4000)\nhist(bernoulli(0.3) + bernoulli(0.6) + bernoulli(0.5))")
        let svg = try #require(values.first.flatMap(Display.svg))
        let document = try #require(parse(svg))
        #expect(document.rootElement()?.name == "svg")
        // One bar per whole number 0…3, each labelled under its middle.
        #expect(elements(document, "//*[local-name()='g'][@class='bars']/*[local-name()='rect']").count == 4)
        let labels = elements(document, "//*[local-name()='g'][@class='tick-labels']/*[local-name()='text']").compactMap(\.stringValue)
        #expect(["0", "1", "2", "3"].allSatisfy(labels.contains))
        #expect(elements(document, "//*[local-name()='g'][@class='axes']/*[local-name()='line']").count >= 2 + 4)
        #expect(elements(document, "//*[local-name()='text'][@class='x-label']").first?.stringValue == "value")
        #expect(elements(document, "//*[local-name()='text'][@class='y-label']").first?.stringValue == "share of particles")
        // The title gives the mean with its error: 0.3 + 0.6 + 0.5 = 1.4 within 4 standard errors.
        let title = elements(document, "//*[local-name()='text'][@class='title']").first?.stringValue ?? ""
        let parts = title.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
        let mean = parts.count > 3 ? Double(parts[1]) ?? 0 : 0, error = parts.count > 3 ? Double(parts[3]) ?? 0 : 0
        #expect(title.hasPrefix("mean ") && abs(mean - 1.4) <= 4 * error, "\(title)")
    }

    @Test func histogramOfRealValues() throws {
        let values = shown("set(seed = 2, particles = 4000)\nhist(normal(0, 1), bins = 20)")
        let svg = try #require(values.first.flatMap(Display.svg))
        let document = try #require(parse(svg))
        let bars = elements(document, "//*[local-name()='g'][@class='bars']/*[local-name()='rect']")
        #expect(bars.count >= 10 && bars.count <= 40)
        let labels = elements(document, "//*[local-name()='g'][@class='tick-labels']/*[local-name()='text']").compactMap(\.stringValue)
        #expect(labels.contains("0") && labels.contains("-2") && labels.contains("2"))
    }

    @Test func lossCurveWithItsBand() throws {
        let values = shown("""
            set(seed = 3, particles = 500)
            param m = 4
            minimize(E[(normal(m, 1) - 1)^2], steps = 60, lr = 0.1)
            """)
        let svg = try #require(values.first.flatMap(Display.svg))
        let document = try #require(parse(svg))
        #expect(elements(document, "//*[local-name()='polyline'][@class='loss']").count == 1)
        #expect(elements(document, "//*[local-name()='polygon'][@class='band']").count == 1)
        #expect(elements(document, "//*[local-name()='text'][@class='x-label']").first?.stringValue == "step")
        let labels = elements(document, "//*[local-name()='g'][@class='tick-labels']/*[local-name()='text']").compactMap(\.stringValue)
        #expect(labels.contains("10") && labels.contains("60"))
        #expect(elements(document, "//*[local-name()='text'][@class='title']").first?.stringValue?.hasPrefix("minimize ") == true)
    }

    @Test func onlyChartsHavePictures() {
        let values = shown("1 + 1\nE[normal(0, 1)]\nhist([1, 2, 2, 3])")
        #expect(values.count == 3)
        #expect(Display.svg(values[0]) == nil && Display.svg(values[1]) == nil)
        #expect(Display.svg(values[2]).flatMap(parse) != nil)
    }
}
