using System.CommandLine;
using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio completion bash</c>: prints a bash completion script that asks the tool itself, through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, what may come next (commands, options, their values).
/// </summary>
internal sealed class CompletionCommand
{
    /// <summary>
    /// The bash script. It hands the line up to the cursor, without the program's own word, to
    /// <c>dartio [suggest:N] "LINE"</c>, which prints one candidate per line; bash keeps those that start with the
    /// word being completed, and falls back to file names when there are none (a folder for serve, a file for add).
    /// </summary>
    internal const string BashScript = """
        # dartio bash completion: eval "$(dartio completion bash)" (in ~/.bashrc, for example)
        _dartio_complete() {
          local line=${COMP_LINE:0:COMP_POINT} program=${COMP_WORDS[0]}
          line=${line#"$program"}
          line=${line# }
          local IFS=$'\n'
          COMPREPLY=($(compgen -W "$("$program" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -o bashdefault -F _dartio_complete dartio
        """;

    public CompletionCommand(ToolHost host)
    {
        var shell = new Argument<string>("SHELL") { Description = "The shell: bash (zsh reads it too, after autoload bashcompinit; bashcompinit)" };
        shell.CompletionSources.Add("bash");
        Command = new Command("completion", "Prints a shell completion script: eval \"$(dartio completion bash)\" in ~/.bashrc") { shell };
        Command.SetAction(async (parse, _) =>
        {
            var name = parse.GetValue(shell);
            if (name != "bash")
            {
                throw new UsageException($"completion takes bash, not '{name}'");
            }

            await host.Output.WriteLineAsync(BashScript).ConfigureAwait(false);
            return ToolHost.ExitOk;
        });
    }

    /// <summary>The <c>completion</c> command.</summary>
    public Command Command { get; }
}
