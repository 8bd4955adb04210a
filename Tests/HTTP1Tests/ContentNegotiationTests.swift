import Testing
@testable import HTTP1

@Suite("Accept-Encoding and If-None-Match")
struct ContentNegotiationTests {
    @Test(arguments: [
        ("0", 0), ("0.", 0), ("0.5", 500), ("0.05", 50), ("0.125", 125), ("1", 1000), ("1.0", 1000), ("1.000", 1000),
    ])
    func qualities(text: String, thousandths: Int) {
        #expect(AcceptEncoding.parseQuality(text[...]) == thousandths)
    }

    @Test(arguments: ["", "2", "1.5", "1.001", "0.1234", ".5", "-0", "0,5", "0.5x", " 0.5", "0.a"])
    func badQualities(text: String) {
        #expect(AcceptEncoding.parseQuality(text[...]) == nil)
    }

    @Test func parsesCodingsAndWeights() {
        let accept = AcceptEncoding(["gzip;q=0.8, Br ; q=1, X-GZIP;level=9", "identity;Q=0"])
        #expect(accept.entries == [
            .init(coding: "gzip", quality: 800), .init(coding: "br", quality: 1000),
            .init(coding: "gzip", quality: 1000), .init(coding: "identity", quality: 0),
        ])
        #expect(accept.quality(of: "gzip") == 1000) // the highest of its entries
        #expect(accept.quality(of: "identity") == 0)
        #expect(accept.quality(of: "deflate") == 0)
    }

    @Test func aBadWeightDropsItsElementOnly() {
        let accept = AcceptEncoding(["gzip;q=2, br"])
        #expect(accept.entries == [.init(coding: "br", quality: 1000)])
    }

    @Test func starCoversWhatIsNotListed() {
        let accept = AcceptEncoding(["br, *;q=0.3"])
        #expect(accept.quality(of: "gzip") == 300)
        #expect(accept.quality(of: "identity") == 300)
        #expect(accept.quality(of: "br") == 1000)
    }

    @Test(arguments: [
        ("gzip", true), ("x-gzip", true), ("GZip", true), ("*", true), ("deflate, gzip", true),
        ("gzip;q=0", false), ("gzip; q=0.0", false), ("*;q=0", false), ("br", false), ("", false),
        ("gzip;q=0.5, identity;q=0.9", false), ("gzip;q=0.5, identity;q=0.5", true), ("identity;q=0, gzip;q=0.1", true),
        ("*, gzip;q=0", false),
    ])
    func prefersGzip(field: String, expected: Bool) {
        #expect(AcceptEncoding([field]).prefersGzip == expected)
    }

    @Test func noFieldMeansIdentity() {
        #expect(!AcceptEncoding(HeaderFields()).prefersGzip)
        #expect(AcceptEncoding(["Accept-Encoding": "gzip"] as HeaderFields).prefersGzip)
    }

    @Test(arguments: [
        ("\"abc\"", true), ("W/\"abc\"", true), ("\"x\", \"abc\"", true), ("\"x\",W/\"abc\"", true), ("*", true),
        ("\"abcd\"", false), ("\"ab\"", false), ("abc", false), ("", false), ("\"a,b\", \"abc\"", true),
        ("\"a,b\"", false), ("\"abc", false), ("w/\"abc\"", false),
    ])
    func ifNoneMatch(field: String, matches: Bool) {
        #expect(IfNoneMatch.matches([field], etag: "\"abc\"") == matches)
    }

    @Test func ifNoneMatchAcrossFields() {
        #expect(IfNoneMatch.matches(["\"x\"", "\"abc\""], etag: "\"abc\""))
        #expect(!IfNoneMatch.matches([], etag: "\"abc\""))
    }
}
