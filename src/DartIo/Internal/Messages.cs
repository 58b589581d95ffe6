namespace DartIo.Internal;

/// <summary>Every user-facing error text of the core library, in one place. Texts that Dart has are Dart's.</summary>
internal static class Messages
{
    public const string FailedToCreateServerSocket = "Failed to create server socket";

    public const string SharedFlagMismatch =
        "The shared flag to bind() needs to be true if binding multiple times on the same (address, port) combination.";

    public const string V6OnlyFlagMismatch =
        "The v6Only flag to bind() needs to be the same if binding multiple times on the same (address, port) combination.";

    public const string FailedReverseLookup = "Failed reverse host lookup";

    public const string ConnectionTimedOut = "Connection timed out";

    public const string AcceptFailed = "Failed to accept a connection";

    public const string AlreadySubscribed = "The server has already been listened to: a server is a single-subscription stream.";

    public const string SettingsFixed =
        "The server has started accepting: set MaxConnections, MaxConnectionsPerAddress, ProxyProtocol and TrustedProxies before the first accept, enumeration or Listen.";

    public static string SharedSettingsConflict(string host, int port, string conflict) =>
        $"The shared socket on {host}:{port} already has other accepting settings ({conflict}): every server on one socket must agree on MaxConnectionsPerAddress, ProxyProtocol and TrustedProxies.";

    public static string RawOptionFailed(string operation, int level, int option) =>
        $"{operation} failed for level {level}, option {option}";

    public static string NetworkInterfaceTypeUnsupported(InternetAddressType type) =>
        $"NetworkInterface.ListAsync lists IPv4, IPv6 or Any addresses, not {type}.";

    public static string FailedHostLookup(string host) => $"Failed host lookup: '{host}'";

    public static string PortOutOfRange(int port) => $"The port must be between 0 and 65535, not {port}.";

    public static string BacklogNegative(int backlog) => $"The backlog must not be negative, not {backlog}.";

    // TLS: certificates and keys. A "source" is a quoted file name or "the … bytes".

    public const string ChainBytesSource = "the certificate chain bytes";

    public const string KeyBytesSource = "the private key bytes";

    public const string TrustedBytesSource = "the trusted certificate bytes";

    public const string UnknownTlsVersion = "Not a TlsProtocolVersion.";

    public const string NoServerCertificate =
        "The security context has no certificate: call UseCertificateChain and UsePrivateKey, or UseCertificate.";

    public const string PeerSentNoCertificate = "the peer sent no certificate";

    public const string CertificateNameMismatch = "the certificate does not match the host name";

    public const string NotADistinguishedName = "the name contains CN= but is not a distinguished name (TYPE=value, separated by commas)";

    public const string HandshakeTimedOut = "the handshake timed out";

    public const string ServerClosed = "the server closed";

    public static string CertificateObjectSource(string subject) => $"the certificate '{subject}'";

    public static string CertificateSourceUnreadable(string source, string reason) => $"Cannot read {source}: {reason}";

    public static string CertificateSourceEmpty(string source) => $"Cannot read {source}: it is empty (0 bytes).";

    public static string CertificateSourceTooLarge(string source, long length, long limit) =>
        $"Cannot read {source}: it is {length} bytes, more than the {limit} a certificate or key file may have.";

    public static string CertificateSourceIsAFolder(string source) => $"Cannot read {source}: it is a folder, not a file.";

    public static string NoCertificateIn(string source) =>
        $"No certificate found in {source}: expected PEM (-----BEGIN CERTIFICATE-----), DER or PKCS#12.";

    public static string NoPrivateKeyIn(string source) =>
        $"No private key found in {source}: expected a PEM private key (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1) or PKCS#12 with a key.";

    public static string LegacyEncryptedKey(string source) =>
        $"The private key in {source} is encrypted in OpenSSL's legacy PEM format, which is not supported: convert it with 'openssl pkcs8 -topk8'.";

    public static string UnsupportedKey(string source) => $"The private key in {source} is not an RSA, ECDSA or DSA key that can be used.";

    public static string KeyDoesNotMatch(string keySource, string certificateSource) =>
        $"The private key from {keySource} does not match the certificate from {certificateSource}.";

    public static string PasswordNeeded(string source) => $"Cannot unlock {source}: it is encrypted and no password was given.";

    public static string WrongPassword(string source) => $"Cannot unlock {source}: the password is wrong.";

    public static string CertificateWithoutKey(string source) =>
        $"The certificate from {source} has no private key: give the key (UsePrivateKey, or a key file).";

    public static string CertificateNeedsKey(string subject) => $"The certificate '{subject}' has no private key.";

    public static string CertificateNotTrusted(string subject, string issuer) =>
        $"the certificate '{subject}' (issued by '{issuer}') does not chain to a trusted certificate";

    public static string AlpnNameInvalid(string? protocol, int bytes) =>
        $"An ALPN protocol name must be 1 to 255 bytes of UTF-8, not {bytes} ('{protocol}').";

    public static string AlpnListTooLong(int length, int max) =>
        $"The ALPN protocol list is {length} bytes encoded; the most is {max}.";

    // TLS: the certificate database. Every error names the certificate name, the folder and what was wrong.

    public static string DatabaseProblem(string name, string directory, string what) =>
        $"Certificate '{name}' in the certificate database '{directory}': {what}";

    public static string NicknameNotFound(string nickname) =>
        $"not found (looked for {nickname}.pfx, {nickname}.p12, {nickname}.pem and the folder {nickname}/ with fullchain.pem or cert.pem).";

    public static string DistinguishedNameNotFound(IReadOnlyList<string> unreadable) => unreadable.Count == 0
        ? "not found: no entry's subject matches this distinguished name."
        : $"not found: no readable entry's subject matches this distinguished name; {unreadable.Count} entries could not be read: {string.Join(" ", unreadable)}";

    public static string EntryWithoutKey(string certificateSource, string keyFile) =>
        $"{certificateSource} has no private key in it and there is no '{keyFile}'.";

    public static string DatabaseUnlistable(string directory, string reason) => $"Cannot list the certificate database '{directory}': {reason}";

    public const string DatabaseFolderMissing = "the folder does not exist";

    public const string DatabaseIsAFile = "it is a file, not a folder";

    public static string NotFoundBecause(string reason) => $"not found: {reason}.";

    public static string CannotExport(string reason) => $"cannot export the certificate with its private key: {reason}";

    public static string CannotWrite(string reason) => $"cannot write the entry: {reason}";

    public static string CannotDelete(string reason) => $"cannot delete the entry: {reason}";

    public static string InvalidNickname(string nickname) =>
        $"'{nickname}' is not a valid nickname: it must be a file name (no path separators, no leading dot or surrounding spaces).";

    // TLS: connections.

    public static string HandshakeErrorInClient(string host, int port) => $"Handshake error in client connecting to {host}:{port}";

    // The PROXY protocol (HAProxy's specification): why a header was refused. The peer's bytes are never quoted.

    public const string ProxyNotAHeader = "the connection does not begin with a PROXY protocol header";

    public const string ProxyPeerUntrusted = "PROXY protocol headers are required, and the peer is not in TrustedProxies";

    public const string ProxyEndedEarly = "the connection ended before the PROXY protocol header was complete";

    public const string ProxyV1BadSignature = "\"PROXY\" is not followed by a space";

    public const string ProxyV1TooLong = "the PROXY v1 line has no CRLF within 107 bytes";

    public const string ProxyV1BareCrOrLf = "the PROXY v1 line has a CR or LF that is not part of its closing CRLF";

    public const string ProxyV1UnknownProtocol = "the PROXY v1 line's protocol is not TCP4, TCP6 or UNKNOWN";

    public const string ProxyV1EmptyField = "the PROXY v1 line has an empty field (two spaces in a row, or a space at an end)";

    public const string ProxyV1MissingFields = "the PROXY v1 line ends before its two addresses and two ports";

    public const string ProxyV1ExtraField = "the PROXY v1 line has more than two addresses and two ports";

    public static string ProxyV1BadAddress(string which, string family) =>
        $"the PROXY v1 line's {which} address is not an {family} address";

    public static string ProxyV1BadPort(string which) =>
        $"the PROXY v1 line's {which} port is not a number 0-65535 without leading zeros";

    public static string ProxyV2BadVersion(int version) => $"the PROXY v2 header has version {version}, not 2";

    public static string ProxyV2BadCommand(int command) => $"the PROXY v2 header's command is {command}, neither LOCAL (0) nor PROXY (1)";

    public static string ProxyV2BadFamily(int family) => $"the PROXY v2 header's address family is {family}, not UNSPEC, INET, INET6 or UNIX (0-3)";

    public static string ProxyV2BadTransport(int transport) => $"the PROXY v2 header's transport is {transport}, not UNSPEC, STREAM or DGRAM (0-2)";

    public static string ProxyV2Oversized(int length, int limit) => $"the PROXY v2 header is oversized: {length} bytes, more than the {limit} accepted";

    public static string ProxyV2AddressesPastEnd(int needed, int length) =>
        $"the PROXY v2 header's addresses need {needed} bytes but its length field gives {length}";

    public const string ProxyV2TlvPastEnd = "a TLV of the PROXY v2 header runs past the header's end";

    public const string ProxyV2ChecksumLength = "the PROXY v2 header's CRC32C TLV is not 4 bytes long";

    public const string ProxyV2ChecksumMismatch = "the PROXY v2 header's CRC32C checksum does not match the header";
}
