/// Which resolved addresses a server-side fetch may connect to.
///
/// By default only public unicast addresses: never loopback, private, carrier-grade NAT,
/// link-local (which includes the cloud metadata address 169.254.169.254), multicast, reserved
/// or documentation ranges, in IPv4 or IPv6, including IPv4 addresses embedded in IPv6
/// (mapped, compatible, NAT64 and 6to4).
public enum AddressPolicy {
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address is public.
    public static func isPublic(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: isPublicIPv4(bytes)
        case 16: isPublicIPv6(bytes)
        default: false
        }
    }

    static func isPublicIPv4(_ a: [UInt8]) -> Bool {
        switch (a[0], a[1], a[2]) {
        case (0, _, _), (10, _, _), (127, _, _): false
        case (100, 64...127, _): false  // carrier-grade NAT
        case (169, 254, _): false  // link-local, cloud metadata
        case (172, 16...31, _): false
        case (192, 0, 0), (192, 0, 2), (192, 88, 99), (192, 168, _): false
        case (198, 18...19, _), (198, 51, 100), (203, 0, 113): false
        case (224...255, _, _): false  // multicast, reserved, broadcast
        default: true
        }
    }

    static func isPublicIPv6(_ a: [UInt8]) -> Bool {
        let firstTen = a[0..<10].allSatisfy { $0 == 0 }
        if firstTen && a[10] == 0xFF && a[11] == 0xFF { return isPublicIPv4(Array(a[12..<16])) }  // ::ffff:a.b.c.d
        if firstTen && a[10] == 0 && a[11] == 0 {
            // :: and ::1 are never public; ::a.b.c.d (deprecated IPv4-compatible) is judged as IPv4.
            if a[12..<15].allSatisfy({ $0 == 0 }) && a[15] <= 1 { return false }
            return isPublicIPv4(Array(a[12..<16]))
        }
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B {
            return isPublicIPv4(Array(a[12..<16]))  // 64:ff9b::/96 NAT64
        }
        if a[0] == 0x20 && a[1] == 0x02 { return isPublicIPv4(Array(a[2..<6])) }  // 2002::/16 6to4
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8 { return false }  // documentation
        if a[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if a[0] == 0xFE && a[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local
        if a[0] == 0xFF { return false }  // multicast
        if a[0] == 0x01 && a[1] == 0x00 && a[2..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
        return true
    }
}
