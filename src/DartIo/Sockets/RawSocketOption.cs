using System.Buffers.Binary;

namespace DartIo;

/// <summary>
/// A socket option by its OS numbers, for <see cref="SocketConnection.SetRawOption"/> and
/// <see cref="SocketConnection.GetRawOption"/>: what <c>setsockopt</c> / <c>getsockopt</c> take. Mirrors Dart's
/// <c>RawSocketOption</c>.
/// </summary>
/// <remarks>
/// The numbers are the OS's own (on Linux <c>SO_KEEPALIVE</c> is 9 at <see cref="LevelSocket"/>, <c>TCP_KEEPIDLE</c>
/// 4 at <see cref="LevelTcp"/>); nothing is translated, so an option is only as portable as its numbers.
/// </remarks>
public sealed class RawSocketOption
{
    private readonly byte[] _value;

    /// <summary>Makes an option from its level, its name and its value's bytes, as the OS takes them.</summary>
    /// <param name="level">The protocol level: <see cref="LevelSocket"/>, <see cref="LevelIPv4"/>, <see cref="LevelIPv6"/>, <see cref="LevelTcp"/>, or another OS number.</param>
    /// <param name="option">The option's OS number at that level.</param>
    /// <param name="value">The value's bytes (copied). For <see cref="SocketConnection.GetRawOption"/> its length sizes the buffer read into.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public RawSocketOption(int level, int option, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Level = level;
        Option = option;
        _value = (byte[])value.Clone();
    }

    /// <summary>An option whose value is a C <c>int</c> (4 bytes, this machine's byte order). Mirrors Dart's <c>RawSocketOption.fromInt</c>.</summary>
    /// <param name="level">The protocol level.</param>
    /// <param name="option">The option's OS number at that level.</param>
    /// <param name="value">The value.</param>
    /// <returns>The option.</returns>
    public static RawSocketOption FromInt(int level, int option, int value)
    {
        var bytes = new byte[sizeof(int)];
        BitConverter.TryWriteBytes(bytes, value); // host order, as setsockopt reads an int
        return new RawSocketOption(level, option, bytes);
    }

    /// <summary>An option whose value is a C <c>int</c> of 1 (true) or 0 (false). Mirrors Dart's <c>RawSocketOption.fromBool</c>.</summary>
    /// <param name="level">The protocol level.</param>
    /// <param name="option">The option's OS number at that level.</param>
    /// <param name="value">The value.</param>
    /// <returns>The option.</returns>
    public static RawSocketOption FromBool(int level, int option, bool value) => FromInt(level, option, value ? 1 : 0);

    /// <summary>The protocol level (<c>setsockopt</c>'s <c>level</c>).</summary>
    public int Level { get; }

    /// <summary>The option's number at its level (<c>setsockopt</c>'s <c>optname</c>).</summary>
    public int Option { get; }

    /// <summary>A copy of the value's bytes.</summary>
    public byte[] Value => (byte[])_value.Clone();

    /// <summary><c>SOL_SOCKET</c> on this OS: 1 on Linux, 0xFFFF on macOS, the BSDs and Windows. Mirrors Dart's <c>levelSocket</c>.</summary>
    public static int LevelSocket { get; } = OperatingSystem.IsLinux() || OperatingSystem.IsAndroid() ? 1 : 0xFFFF;

    /// <summary><c>IPPROTO_IP</c> (0). Mirrors Dart's <c>levelIPv4</c>.</summary>
    public static int LevelIPv4 { get; }

    /// <summary><c>IPPROTO_IPV6</c> (41). Mirrors Dart's <c>levelIPv6</c>.</summary>
    public static int LevelIPv6 { get; } = 41;

    /// <summary><c>IPPROTO_TCP</c> (6). Mirrors Dart's <c>levelTcp</c>.</summary>
    public static int LevelTcp { get; } = 6;

    /// <summary>The value's bytes without a copy, for the socket calls.</summary>
    internal ReadOnlySpan<byte> ValueSpan => _value;

    /// <summary>The value's length, which sizes a read.</summary>
    internal int Length => _value.Length;

    /// <summary>The value as an <c>int</c> in this machine's byte order, for tests and messages; 0 when shorter than 4 bytes.</summary>
    internal static int ToInt(byte[] value) =>
        value.Length >= sizeof(int) ? (BitConverter.IsLittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(value) : BinaryPrimitives.ReadInt32BigEndian(value)) : 0;
}
