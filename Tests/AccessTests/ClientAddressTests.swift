import Access
import Testing

@Suite("Client addresses")
struct ClientAddressTests {
    func resolve(_ peer: String, _ forwardedFor: String? = nil, _ realIP: String? = nil, trust: Bool, hops: Int = 1) -> String {
        ClientAddress.resolve(peer: peer, forwardedFor: forwardedFor, realIP: realIP, trustProxy: trust, trustedHops: hops)
    }

    @Test func theSocketPeerWithoutItsPort() {
        #expect(resolve("127.0.0.1:5000", trust: false) == "127.0.0.1")
        #expect(resolve("127.0.0.1", trust: false) == "127.0.0.1")
        #expect(resolve("[::1]:5000", trust: false) == "::1")
        #expect(resolve("[::1]", trust: false) == "::1")
        #expect(resolve("::1", trust: false) == "::1")
        #expect(resolve("[2001:DB8:0:0::1]:443", trust: false) == "2001:db8::1", "canonical form")
        #expect(resolve("[::ffff:10.0.0.7]:80", trust: false) == "10.0.0.7", "IPv4-mapped is IPv4")
        #expect(resolve("unknown", trust: false) == "unknown", "an unparseable peer is passed through")
    }

    @Test func headersAreIgnoredWithoutTrust() {
        #expect(resolve("10.0.0.1:1234", "1.2.3.4", "5.6.7.8", trust: false) == "10.0.0.1")
    }

    @Test func behindATrustedProxyTheRightMostForwardedAddressWins() {
        #expect(resolve("10.0.0.1:1234", "1.2.3.4", trust: true) == "1.2.3.4")
        #expect(resolve("10.0.0.1:1234", "6.6.6.6, 1.2.3.4", trust: true) == "1.2.3.4", "the client wrote the left part")
        #expect(resolve("10.0.0.1:1234", "6.6.6.6,1.2.3.4 ,  ", "9.9.9.9", trust: true) == "1.2.3.4")
        #expect(resolve("10.0.0.1:1234", "1.2.3.4, garbage", trust: true) == "10.0.0.1",
                "the proxy's entry or nothing: never one further left, which the client wrote")
        #expect(resolve("10.0.0.1:1234", "2001:db8::5", trust: true) == "2001:db8::5")
        #expect(resolve("10.0.0.1:1234", "[2001:db8::5]:8080", trust: true) == "2001:db8::5")
        #expect(resolve("10.0.0.1:1234", "1.2.3.4:8080", trust: true) == "1.2.3.4")
        #expect(resolve("[::1]:1234", "::ffff:1.2.3.4", trust: true) == "1.2.3.4")
    }

    /// Each trusted proxy appends the address it heard from; the client wrote everything left
    /// of the outermost trusted proxy's entry, across every header line.
    @Test func trustedHopsCountFromTheRight() {
        let chain = "6.6.6.6, 1.2.3.4, 10.1.0.1, 10.2.0.1"
        #expect(resolve("10.9.0.1:1", chain, trust: true, hops: 1) == "10.2.0.1")
        #expect(resolve("10.9.0.1:1", chain, trust: true, hops: 3) == "1.2.3.4")
        #expect(resolve("10.9.0.1:1", chain, trust: true, hops: 4) == "6.6.6.6")
        #expect(resolve("10.9.0.1:1", chain, trust: true, hops: 9) == "6.6.6.6", "fewer entries than hops: the left-most")
        #expect(resolve("10.9.0.1:1", "6.6.6.6, garbage, 10.1.0.1", trust: true, hops: 2) == "10.9.0.1",
                "an invalid entry where the client's should be is no key, and nothing further left is tried")
        // Two lines, the client's first: joined in order, the proxy's line is the right-most.
        #expect(resolve("10.9.0.1:1", ["6.6.6.6", "1.2.3.4"].joined(separator: ","), trust: true) == "1.2.3.4")
        #expect(resolve("10.9.0.1:1", "6.6.6.6,", trust: true) == "6.6.6.6", "a trailing comma is no entry")
    }

    @Test func xRealIPThenTheSocket() {
        #expect(resolve("10.0.0.1:1234", nil, "5.6.7.8", trust: true) == "5.6.7.8")
        #expect(resolve("10.0.0.1:1234", "nope, also nope", " 5.6.7.8 ", trust: true) == "10.0.0.1",
                "X-Real-IP only without X-Forwarded-For")
        #expect(resolve("10.0.0.1:1234", " , ", " 5.6.7.8 ", trust: true) == "5.6.7.8", "no entries at all")
        #expect(resolve("10.0.0.1:1234", "", "", trust: true) == "10.0.0.1")
        #expect(resolve("10.0.0.1:1234", nil, nil, trust: true) == "10.0.0.1")
    }

    @Test func garbageNeverBecomesAKey() {
        let garbage = ["", " ", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", "1.2.3.4/24", "::g", "fe80::1%eth0",
                       "1.2.3.4\u{0}", "1.2.3.4\u{0}junk", "1.2.3.4 5", "fe80::1%25eth0", "a.b.c.d", String(repeating: "1", count: 5000), "[]", "[1.2.3.4", "🙂"]
        for value in garbage {
            #expect(resolve("10.0.0.1:1", value, value, trust: true) == "10.0.0.1", "\(value.prefix(20))")
            #expect(!ClientAddress.isIPAddress(value))
        }
        #expect(ClientAddress.isIPAddress("0.0.0.0") && ClientAddress.isIPAddress("::"))
        #expect(ClientAddress.canonical("0:0:0:0:0:0:0:1") == "::1")
    }
}
