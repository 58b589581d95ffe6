using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// A decoded PNG, enough to look at a browser's screenshot: 8-bit RGB or RGBA, not interlaced (what Chromium writes).
/// The chunks are read by hand and the image data inflated with <see cref="ZLibStream"/>; no image package.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] s_signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly byte[] _pixels; // RGB, row after row
    private readonly int _width;

    private PngImage(int width, int height, byte[] pixels) => (_width, Height, _pixels) = (width, height, pixels);

    public int Width => _width;

    public int Height { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            var at = ((y * _width) + x) * 3;
            return (_pixels[at], _pixels[at + 1], _pixels[at + 2]);
        }
    }

    public static PngImage Decode(byte[] png)
    {
        if (!png.AsSpan().StartsWith(s_signature))
        {
            throw new InvalidDataException("not a PNG");
        }

        int width = 0, height = 0, channels = 0;
        using var data = new MemoryStream();
        for (var at = s_signature.Length; at + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var chunk = png.AsSpan(at + 8, length);
            at += 12 + length; // length, type, data, CRC
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(chunk);
                    height = BinaryPrimitives.ReadInt32BigEndian(chunk[4..]);
                    var (depth, colour, interlace) = (chunk[8], chunk[9], chunk[12]);
                    if (depth != 8 || colour is not (2 or 6) || interlace != 0)
                    {
                        throw new NotSupportedException($"PNG depth {depth}, colour type {colour}, interlace {interlace}");
                    }

                    channels = colour == 6 ? 4 : 3;
                    break;
                case "IDAT":
                    data.Write(chunk);
                    break;
                case "IEND":
                    at = png.Length;
                    break;
            }
        }

        data.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(data, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        return new PngImage(width, height, Unfilter(inflated.ToArray(), width, height, channels));
    }

    /// <summary>How many pixels differ from a colour by more than a little in any channel.</summary>
    public int CountUnlike((byte R, byte G, byte B) colour, int tolerance = 8) => Count(pixel => !Near(pixel, colour, tolerance));

    /// <summary>How many pixels are a colour, give or take a little in each channel.</summary>
    public int CountNear((byte R, byte G, byte B) colour, int tolerance = 6) => Count(pixel => Near(pixel, colour, tolerance));

    public int DistinctColours()
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < _pixels.Length; i += 3)
        {
            seen.Add((_pixels[i] << 16) | (_pixels[i + 1] << 8) | _pixels[i + 2]);
        }

        return seen.Count;
    }

    private int Count(Func<(byte R, byte G, byte B), bool> predicate)
    {
        var count = 0;
        for (var i = 0; i < _pixels.Length; i += 3)
        {
            count += predicate((_pixels[i], _pixels[i + 1], _pixels[i + 2])) ? 1 : 0;
        }

        return count;
    }

    private static bool Near((byte R, byte G, byte B) a, (byte R, byte G, byte B) b, int tolerance) =>
        Math.Abs(a.R - b.R) <= tolerance && Math.Abs(a.G - b.G) <= tolerance && Math.Abs(a.B - b.B) <= tolerance;

    /// <summary>Undoes the per-row filters (PNG §9: none, sub, up, average, Paeth), keeping RGB.</summary>
    private static byte[] Unfilter(byte[] raw, int width, int height, int channels)
    {
        var stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var filter = raw[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                var left = i >= channels ? current[i - channels] : 0;
                var up = previous[i];
                var upLeft = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(row[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                });
            }

            for (var x = 0; x < width; x++)
            {
                current.AsSpan(x * channels, 3).CopyTo(pixels.AsSpan(((y * width) + x) * 3));
            }

            (previous, current) = (current, previous);
        }

        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
