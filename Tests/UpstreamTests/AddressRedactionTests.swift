import Testing
@testable import Upstream

/// Internal addresses stay out of what a client reads (they go to the log, in `detail`).
@Suite("address redaction")
struct AddressRedactionTests {
    @Test func addressesAndPortsGo() {
        #expect(AddressRedaction.redact("connect 10.0.3.7:8000 failed") == "connect [address] failed")
        #expect(AddressRedaction.redact("upstream 192.168.1.20 refused") == "upstream [address] refused")
        #expect(AddressRedaction.redact("dial [fd00::1:2]:443: refused") == "dial [address]: refused")
        #expect(AddressRedaction.redact("at 1.2.3.4,5.6.7.8.") == "at [address],[address].")
    }

    @Test func otherTextStays() {
        for text in ["model gpt-4.1 is unknown", "version 1.2.3", "a.b.c.d", "1.2.3.4.5", "retry in 0.5 s", "[not an address]", "[::]x"] {
            let expected = text == "[::]x" ? "[address]x" : text
            #expect(AddressRedaction.redact(text) == expected)
        }
    }

    @Test func connectErrorsCarryTheAddressOnlyInTheirDetail() {
        let error = ProviderError(.upstreamUnavailable, "cannot connect to the provider: connection refused", retryable: true,
                                  detail: "connect 10.0.0.5:443 failed: Connection refused (errno 111)")
        #expect(error == ProviderError(.upstreamUnavailable, "cannot connect to the provider: connection refused", retryable: true),
                "detail is diagnostics, not identity")
    }
}
