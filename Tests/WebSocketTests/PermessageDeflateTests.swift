import Testing
@testable import WebSocket

private let baseResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

@Suite("permessage-deflate negotiation (RFC 7692 §7.1)")
struct PermessageDeflateTests {
    @Test func plainOffer() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate"]))
        #expect(accepted == PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil))
        #expect(accepted.compressesOutbound)
        #expect(accepted.responseHeader == baseResponse)
    }

    @Test func clientMaxWindowBitsWithoutValue() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; client_max_window_bits"]))
        #expect(accepted.clientMaxWindowBits == nil)
        #expect(accepted.serverMaxWindowBits == 15)
        #expect(accepted.responseHeader == baseResponse)
    }

    @Test(arguments: [8, 9, 10, 14, 15])
    func clientMaxWindowBitsWithValue(bits: Int) throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; client_max_window_bits=\(bits)"]))
        #expect(accepted.clientMaxWindowBits == bits)
        #expect(accepted.serverMaxWindowBits == 15)
        #expect(accepted.responseHeader == baseResponse + "; client_max_window_bits=\(bits)")
    }

    @Test func serverMaxWindowBitsTenEchoed() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=10"]))
        #expect(accepted.serverMaxWindowBits == 10)
        #expect(accepted.compressesOutbound)
        #expect(accepted.responseHeader == baseResponse + "; server_max_window_bits=10")
    }

    @Test func serverMaxWindowBitsEightAcceptedButNotUsed() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=8"]))
        #expect(accepted.serverMaxWindowBits == 8)
        #expect(!accepted.compressesOutbound)
        #expect(accepted.responseHeader == baseResponse + "; server_max_window_bits=8")
        let nine = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=9"]))
        #expect(nine.compressesOutbound)
    }

    @Test func serverMaxWindowBitsFifteen() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=15"]))
        #expect(accepted.serverMaxWindowBits == 15)
        #expect(accepted.compressesOutbound)
        // Accepting an offer that names the parameter means echoing it (RFC 7692 §7.1.2.1).
        #expect(accepted.responseHeader == baseResponse + "; server_max_window_bits=15")
    }

    @Test func everyParameterTogether() throws {
        let offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11"
        let accepted = try #require(PermessageDeflate.negotiate(offers: [offer]))
        #expect(accepted == PermessageDeflate(serverMaxWindowBits: 12, clientMaxWindowBits: 11, serverMaxWindowBitsOffered: true))
        #expect(accepted.responseHeader == baseResponse + "; server_max_window_bits=12; client_max_window_bits=11")
    }

    @Test func spacingCaseAndQuotedValues() throws {
        let accepted = try #require(PermessageDeflate.negotiate(offers: ["Permessage-Deflate ;\tServer_Max_Window_Bits = \"10\" ; client_max_window_bits"]))
        #expect(accepted == PermessageDeflate(serverMaxWindowBits: 10, clientMaxWindowBits: nil, serverMaxWindowBitsOffered: true))
    }

    @Test(arguments: ["7", "16", "010", "abc", "0", "", "1O", "+9", "9 9", "\"\"", "\"7\"", "99999999999999999999"])
    func invalidWindowBitsDeclined(value: String) {
        #expect(PermessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=\(value)"]) == nil)
        #expect(PermessageDeflate.negotiate(offers: ["permessage-deflate; client_max_window_bits=\(value)"]) == nil)
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits",          // needs a value
        "permessage-deflate; server_no_context_takeover=1",    // takes none
        "permessage-deflate; client_no_context_takeover=x",
        "permessage-deflate; unknown_parameter",
        "permessage-deflate; x-webkit=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; SERVER_NO_CONTEXT_TAKEOVER; server_no_context_takeover",
        "permessage-deflate; =",
        "permessage-deflate; =10",
        "permessage-deflate; client_max_window_bits=",
        "x-webkit-deflate-frame",
        "deflate-frame; no_context_takeover",
        "",
    ])
    func offerDeclined(offer: String) {
        #expect(PermessageDeflate.negotiate(offers: [offer]) == nil)
    }

    @Test func firstAcceptableOfferWins() throws {
        let sameHeader = try #require(PermessageDeflate.negotiate(offers: [
            "permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits=9, permessage-deflate",
        ]))
        #expect(sameHeader == PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 9))

        let acrossHeaders = try #require(PermessageDeflate.negotiate(offers: [
            "x-webkit-deflate-frame, permessage-deflate; foo",
            "permessage-deflate; server_max_window_bits=11",
            "permessage-deflate",
        ]))
        #expect(acrossHeaders == PermessageDeflate(serverMaxWindowBits: 11, clientMaxWindowBits: nil, serverMaxWindowBitsOffered: true))
        #expect(PermessageDeflate.negotiate(offers: []) == nil)
        #expect(PermessageDeflate.negotiate(offers: ["permessage-deflate; a", "permessage-deflate; b"]) == nil)
    }

    @Test func responseAlwaysDisablesContextTakeover() throws {
        for offer in [
            "permessage-deflate", "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=15",
            "permessage-deflate; server_no_context_takeover",
        ] {
            let accepted = try #require(PermessageDeflate.negotiate(offers: [offer]))
            let parameters = accepted.responseHeader.split(separator: ";").map { $0.trimmingOWS() }
            #expect(parameters.first == "permessage-deflate")
            #expect(parameters.contains("server_no_context_takeover"), "\(offer)")
            #expect(parameters.contains("client_no_context_takeover"), "\(offer)")
            #expect(Set(parameters).count == parameters.count, "no parameter twice in \(accepted.responseHeader)")
            // What relayd answers is itself an offer it would accept, with the same result.
            #expect(PermessageDeflate.negotiate(offers: [accepted.responseHeader]) == accepted)
        }
    }
}
