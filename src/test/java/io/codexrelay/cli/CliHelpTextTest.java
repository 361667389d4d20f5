package io.codexrelay.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A parent's {@code --help} lists each subcommand with the first line of its description: that line must be whole
 * sentences ({@code sessions --help} used to stop at "and why it").
 */
class CliHelpTextTest {

    @Test
    void everyCommandSummaryEndsASentence() {
        List<String> cut = new ArrayList<>();
        walk(new CommandLine(new RootCommand(CliContext.system())).getCommandSpec(), "", cut);
        assertThat(cut).as("summaries cut mid-sentence").isEmpty();
    }

    private static void walk(CommandSpec spec, String path, List<String> cut) {
        for (var e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (sub.userObject() instanceof CommandLine.HelpCommand || !e.getKey().equals(sub.name())) continue;
            String full = (path + " " + sub.name()).trim();
            String[] header = sub.usageMessage().header();
            String[] desc = sub.usageMessage().description();
            String summary = header.length > 0 ? header[0] : desc.length > 0 ? desc[0] : "";
            String s = summary.strip();
            if (!(s.endsWith(".") || s.endsWith(")") || s.endsWith("`"))) cut.add(full + ": " + summary);
            walk(sub, full, cut);
        }
    }
}
