// Report: bench/results/raw/results.tsv -> bench/results/latest.md, one PNG chart per case and a summary chart
// (drawn by gnuplot), and the same table between README.md's bench markers.
//
//   Report --results raw/results.tsv --meta raw/meta.txt --out bench/results [--readme README.md]
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Bench.Report;

internal static class Program
{
    private const string ReadmeBegin = "<!-- bench:begin -->";
    private const string ReadmeEnd = "<!-- bench:end -->";
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    private static int Main(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        if (!options.TryGetValue("results", out var resultsPath) || !options.TryGetValue("out", out var outDir))
        {
            Console.Error.WriteLine("usage: Report --results results.tsv --meta meta.txt --out DIR [--readme README.md]");
            return 2;
        }

        var meta = options.TryGetValue("meta", out var metaPath) && File.Exists(metaPath)
            ? File.ReadAllLines(metaPath).Where(l => l.Contains(':', StringComparison.Ordinal))
                .Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim())
            : [];
        var medians = Medians.Load(resultsPath);
        Directory.CreateDirectory(outDir);

        var table = Table(medians);
        var markdown = Markdown(meta, table, medians);
        File.WriteAllText(Path.Combine(outDir, "latest.md"), markdown);
        Console.Error.WriteLine($"wrote {Path.Combine(outDir, "latest.md")}");

        Charts.Write(medians, outDir, meta.GetValueOrDefault("command", "bench/run"));

        if (options.TryGetValue("readme", out var readme))
        {
            UpdateReadme(readme, meta, table);
        }

        return 0;
    }

    private static string Markdown(Dictionary<string, string> meta, string table, Medians medians)
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine($"Made by `{meta.GetValueOrDefault("command", "bench/run")}` on {meta.GetValueOrDefault("date", "?")}. " +
            "Do not edit: the next run rewrites this file. Method and findings: [docs/performance.md](../../docs/performance.md).").AppendLine();
        foreach (var key in new[] { "commit", "cpu", "pinning", "load", "versions" })
        {
            if (meta.TryGetValue(key, out var value))
            {
                text.AppendLine($"- {key}: {value}");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"- rounds: {meta.GetValueOrDefault("rounds", "?")} per server and case, each {meta.GetValueOrDefault("duration", "?")} s " +
            $"after a {meta.GetValueOrDefault("warmup", "?")} s warm-up, servers in turn (A B C, A B C, ...); the memory case: " +
            $"{meta.GetValueOrDefault("memory-connections", "10000")} connections");
        text.AppendLine();
        text.AppendLine(Legend);
        text.AppendLine();
        text.AppendLine(table);
        text.AppendLine("## Charts").AppendLine();
        text.AppendLine("Bars: medians; whiskers: the lowest and highest round; the label is the ratio to the reference (grey bar). DartIo in blue.").AppendLine();
        text.AppendLine("![DartIo against each case's reference](summary.png)").AppendLine();
        foreach (var definition in Cases.All.Where(c => medians.HasAny(c.Id)))
        {
            text.AppendLine($"![{definition.Title}]({definition.Id}.png)");
        }

        return text.ToString();
    }

    private const string Legend =
        "Median over the rounds; spread = (max - min) / median; ratio = median / the reference's median in this run " +
        "(ref, the first row of each case). Where lower is better (memory, spread) the ratio is still this / ref. " +
        "Targets are issue 5's: a miss is marked **missed**, never a failure of the run. " +
        "`errors` counts failed requests or connections (non-2xx, resets, timeouts) in any round. " +
        "(noisy): the server's or the reference's spread is over 25%, so re-run on a quiet machine before trusting that verdict. " +
        "Server CPU/op: the server process's CPU time (user + system) in the measured window divided by the operations in it " +
        "(median over the rounds; in brackets, this / the reference's, lower is better). It hardly moves when other work on " +
        "the machine takes the server's core for a while, so on a busy machine it compares the servers' costs better than throughput does.";

    /// <summary>The table, one row per server and case.</summary>
    private static string Table(Medians medians)
    {
        var text = new StringBuilder();
        text.AppendLine("| case | server | median | spread | ratio | server CPU/op (ratio) | target |");
        text.AppendLine("|---|---|--:|--:|--:|--:|---|");
        foreach (var definition in Cases.All)
        {
            if (!medians.HasAny(definition.Id))
            {
                continue;
            }

            var first = true;
            foreach (var server in definition.Servers)
            {
                var stat = medians.Stat(definition.Id, server);
                var label = Cases.Label(server) + (server == definition.Reference ? " (ref)" : "");
                if (Cases.IsDartIo(server))
                {
                    label = $"**{label}**";
                }

                string median, spread, ratio, cpu = "";
                if (stat is null || stat.Values.Count == 0)
                {
                    median = stat?.Missing ?? "no result";
                    spread = ratio = "";
                }
                else
                {
                    median = Format(stat.Median, definition.Unit) + (stat.Errors > 0 ? $" (errors: {stat.Errors.ToString("N0", s_invariant)})" : "");
                    spread = stat.Values.Count > 1 && double.IsFinite(stat.Spread) ? (stat.Spread * 100).ToString("0.0", s_invariant) + "%" : "-";
                    ratio = medians.Ratio(definition, server) is { } r ? r.ToString("0.00", s_invariant) : "";
                    if (stat.CpuMedian is { } micros)
                    {
                        cpu = FormatMicros(micros);
                        if (definition.Reference is { } reference && medians.Stat(definition.Id, reference)?.CpuMedian is > 0 and var refMicros)
                        {
                            cpu += $" ({(micros / refMicros).ToString("0.00", s_invariant)})";
                        }
                    }
                }

                var targets = string.Join("; ", Cases.Targets.Where(t => t.Case == definition.Id && t.Server == server)
                    .Select(t => t.Check(medians) switch
                    {
                        true => $"{t.Text}: met",
                        false => $"{t.Text}: **missed**",
                        null => $"{t.Text}: not measured",
                    }));
                if (targets.Length > 0 && IsNoisy(medians, definition, server))
                {
                    targets += " (noisy)";
                }
                var caseCell = first ? $"{definition.Title}, {definition.Unit}" : "";
                first = false;
                text.AppendLine($"| {caseCell} | {label} | {median} | {spread} | {ratio} | {cpu} | {targets} |");
            }
        }

        return text.ToString();
    }

    private static string FormatMicros(double micros) => micros switch
    {
        >= 100_000 => (micros / 1000).ToString("N0", s_invariant) + " ms",
        >= 1000 => (micros / 1000).ToString("0.0", s_invariant) + " ms",
        >= 100 => micros.ToString("0", s_invariant) + " µs",
        _ => micros.ToString("0.0", s_invariant) + " µs",
    };

    /// <summary>A spread above this, in the server's or the reference's rounds, makes a verdict unreliable.</summary>
    private const double NoisySpread = 0.25;

    private static bool IsNoisy(Medians medians, CaseDefinition definition, string server) =>
        new[] { server, definition.Reference }.Any(s => s is not null && medians.Stat(definition.Id, s) is { Values.Count: > 1 } stat
            && !(stat.Spread <= NoisySpread));

    internal static string Format(double value, string unit) => unit switch
    {
        _ when double.IsPositiveInfinity(value) => "inf (a sharer served nothing)",
        "max/min" => value.ToString("0.00", s_invariant),
        "KiB/conn" => value.ToString("0.0", s_invariant),
        _ => value >= 100 ? value.ToString("N0", s_invariant) : value.ToString("0.0", s_invariant),
    };

    private static void UpdateReadme(string path, Dictionary<string, string> meta, string table)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var text = File.ReadAllText(path);
        var begin = text.IndexOf(ReadmeBegin, StringComparison.Ordinal);
        var end = text.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            Console.Error.WriteLine($"{path} has no {ReadmeBegin} ... {ReadmeEnd} block; left as it is");
            return;
        }

        var block = new StringBuilder();
        block.AppendLine(ReadmeBegin);
        block.AppendLine($"From `{meta.GetValueOrDefault("command", "bench/run")}` on {meta.GetValueOrDefault("date", "?")} " +
            $"({meta.GetValueOrDefault("cpu", "?")}; {meta.GetValueOrDefault("pinning", "")}); " +
            "charts and details in [bench/results/latest.md](bench/results/latest.md).");
        block.AppendLine();
        block.Append(table);
        text = string.Concat(text.AsSpan(0, begin), block.ToString(), text.AsSpan(end));
        File.WriteAllText(path, text);
        Console.Error.WriteLine($"updated the table in {path}");
    }
}

/// <summary>A server's values in one case, over the rounds.</summary>
internal sealed class Stat
{
    public List<double> Values { get; } = [];

    /// <summary>Server CPU per operation, microseconds, one per round that measured it.</summary>
    public List<double> CpuMicros { get; } = [];

    public double? CpuMedian => CpuMicros.Count == 0 ? null : MedianOf(CpuMicros);

    public long Errors { get; set; }

    /// <summary>Why there is no value: "not built" or "did not start"; null when the server ran.</summary>
    public string? Missing { get; set; }

    public double Median => MedianOf(Values);

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    public double Min => Values.Min();

    public double Max => Values.Max();

    public double Spread => Median > 0 && double.IsFinite(Max) ? (Max - Min) / Median : double.NaN;
}

/// <summary>All the results of a run, by case and server.</summary>
internal sealed class Medians
{
    private readonly Dictionary<(string Case, string Server), Stat> _stats = [];

    public static Medians Load(string path)
    {
        var medians = new Medians();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split('\t');
            if (fields.Length < 5)
            {
                continue;
            }

            var key = (fields[0], fields[1]);
            if (!medians._stats.TryGetValue(key, out var stat))
            {
                medians._stats[key] = stat = new Stat();
            }

            var errors = long.TryParse(fields[4], CultureInfo.InvariantCulture, out var e) ? e : 0;
            if (errors < 0)
            {
                stat.Missing = errors == -1 ? "not built" : "did not start";
                continue;
            }

            stat.Errors += errors;
            if (double.TryParse(fields[3], CultureInfo.InvariantCulture, out var value) && !double.IsNaN(value))
            {
                // Memory is recorded in bytes per connection and shown in KiB.
                stat.Values.Add(fields[0] == "8-memory" ? value / 1024 : value);
            }

            if (fields.Length > 5 && double.TryParse(fields[5], CultureInfo.InvariantCulture, out var micros) && micros > 0)
            {
                stat.CpuMicros.Add(micros);
            }
        }

        return medians;
    }

    public bool HasAny(string caseId) => _stats.Keys.Any(k => k.Case == caseId);

    public Stat? Stat(string caseId, string server) => _stats.GetValueOrDefault((caseId, server));

    public double? Of(string caseId, string server) => Stat(caseId, server) is { Values.Count: > 0 } stat ? stat.Median : null;

    public double? Ratio(string caseId, string server) =>
        Cases.All.FirstOrDefault(c => c.Id == caseId) is { } definition ? Ratio(definition, server) : null;

    public double? Ratio(CaseDefinition definition, string server) =>
        definition.Reference is { } reference && Of(definition.Id, server) is { } value && Of(definition.Id, reference) is > 0 and var refValue
            ? value / refValue
            : null;
}

/// <summary>PNG charts drawn by gnuplot: one per case, and a summary of DartIo's ratios against the targets.</summary>
internal static class Charts
{
    private const int ReferenceColour = 0x9a9a9a;
    private const int DartIoColour = 0x1f6fb4;
    private const int OtherColour = 0xf0a040;

    public static void Write(Medians medians, string outDir, string command)
    {
        var script = new StringBuilder();
        script.AppendLine("set terminal pngcairo size 960,460 noenhanced font 'sans,10'");
        script.AppendLine("set style fill solid 0.85 border rgb '#404040'");
        script.AppendLine("set boxwidth 0.6");
        script.AppendLine("set grid ytics lc rgb '#d8d8d8'");
        script.AppendLine("set xtics scale 0");
        script.AppendLine("unset key");
        var index = 0;
        foreach (var definition in Cases.All.Where(c => medians.HasAny(c.Id)))
        {
            var rows = new StringBuilder();
            var x = 0;
            foreach (var server in definition.Servers)
            {
                var stat = medians.Stat(definition.Id, server);
                var colour = server == definition.Reference ? ReferenceColour : Cases.IsDartIo(server) ? DartIoColour : OtherColour;
                var label = medians.Ratio(definition, server) is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "";
                if (stat is { Values.Count: > 0 } && double.IsFinite(stat.Median))
                {
                    var max = stat.Values.Where(double.IsFinite).Max(); // a sharer that served nothing makes max/min infinite
                    rows.AppendLine(CultureInfo.InvariantCulture,
                        $"{x} \"{Cases.Label(server)}\" {stat.Median:R} {stat.Min:R} {max:R} \"{label}\" {colour}");
                }
                else
                {
                    rows.AppendLine(CultureInfo.InvariantCulture, $"{x} \"{Cases.Label(server)}\" 0 0 0 \"not run\" {colour}");
                }

                x++;
            }

            var name = $"$case{index++}";
            script.AppendLine($"{name} << EOD").Append(rows).AppendLine("EOD");
            script.AppendLine($"set output '{Path.Combine(outDir, definition.Id + ".png")}'");
            script.AppendLine($"set title \"{definition.Title}\\n{command}: median of the rounds, whiskers min-max; labels: ratio to the reference\"");
            script.AppendLine($"set ylabel '{definition.Unit}{(definition.HigherIsBetter ? " (higher is better)" : " (lower is better)")}'");
            script.AppendLine(CultureInfo.InvariantCulture, $"set xrange [-0.6:{x - 0.4}]");
            script.AppendLine("set yrange [0:*]");
            script.AppendLine("set offsets 0, 0, graph 0.08, 0");
            script.AppendLine($"plot {name} using 1:3:7:xtic(2) with boxes lc rgb variable, " +
                $"{name} using 1:3:4:5 with yerrorbars lc rgb '#303030' pt 7 ps 0, " +
                $"{name} using 1:5:6 with labels offset 0,0.8");
        }

        // Summary: DartIo's ratio to the reference for every ratio target, with the target beside it.
        var summary = new StringBuilder();
        var i = 0;
        foreach (var target in Cases.Targets.Where(t => t.Text.EndsWith("x ref", StringComparison.Ordinal) || t.Case == "8-memory"))
        {
            var ratio = medians.Ratio(target.Case, target.Server);
            if (ratio is null)
            {
                continue;
            }

            var goal = target.Case == "8-memory" ? 1.0 : double.Parse(target.Text.Split(' ')[1], CultureInfo.InvariantCulture);
            var met = target.Check(medians) == true;
            var definition = Cases.All.First(c => c.Id == target.Case);
            summary.AppendLine(CultureInfo.InvariantCulture,
                $"{i++} \"{definition.Short}: {Cases.ShortLabel(target.Server)}\" {ratio.Value:R} {goal:R} {(met ? 0x3a9a3a : 0xc83c3c)}");
        }

        if (i > 0)
        {
            script.AppendLine("$summary << EOD").Append(summary).AppendLine("EOD");
            script.AppendLine($"set output '{Path.Combine(outDir, "summary.png")}'");
            script.AppendLine($"set title \"DartIo / reference per case ({command}); black lines: the targets (memory: at most)\\ngreen: target met, red: missed\"");
            script.AppendLine("set ylabel 'ratio to the reference'");
            script.AppendLine(CultureInfo.InvariantCulture, $"set xrange [-0.6:{i - 0.4}]");
            script.AppendLine("set yrange [0:*]");
            script.AppendLine("set xtics rotate by -30");
            script.AppendLine("plot $summary using 1:3:5:xtic(2) with boxes lc rgb variable, " +
                "$summary using ($1 - 0.36):4:(0.72):(0) with vectors nohead lw 3 lc rgb 'black', " +
                "$summary using 1:3:(sprintf('%.2f', $3)) with labels offset 0,-0.9 tc rgb 'white'");
        }

        var scriptPath = Path.Combine(outDir, "raw", "charts.gp");
        Directory.CreateDirectory(Path.GetDirectoryName(scriptPath)!);
        File.WriteAllText(scriptPath, script.ToString());
        try
        {
            using var gnuplot = Process.Start(new ProcessStartInfo("gnuplot", [scriptPath]) { RedirectStandardError = true })!;
            var errors = gnuplot.StandardError.ReadToEnd();
            gnuplot.WaitForExit();
            Console.Error.Write(errors);
            Console.Error.WriteLine(gnuplot.ExitCode == 0 ? $"wrote the charts in {outDir}" : $"gnuplot failed ({scriptPath})");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("gnuplot is not installed: no charts (apt-get install gnuplot-nox)");
        }
    }
}
