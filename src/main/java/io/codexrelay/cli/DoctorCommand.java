package io.codexrelay.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.app.AppJson;
import io.codexrelay.app.Desktop;
import io.codexrelay.app.Doctor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code doctor}: every check of {@link Doctor}, each with what to do; exit 1 when one found a problem. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check everything that can stop Codex from working through the relay, and say what to do about each.",
                "Daemon, port, Codex wiring and the key Codex sends, auth.json, every account, file modes, tray host, autostart. "
                        + "Exit: 0 nothing wrong (warnings may be printed), 1 a problem was found."})
final class DoctorCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the checks as JSON: {ok, checks: [{name, level, found, fix}]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CliContext ctx = ((RootCommand) spec.root().userObject()).context();
        List<Doctor.Check> checks = new Doctor(ctx.env(), ctx.clock(), Desktop.current(ctx.env()),
                io.codexrelay.app.ClockSkew.httpDate(java.time.Duration.ofSeconds(3))).run();
        boolean bad = Doctor.anyProblem(checks);
        if (json) {
            ObjectNode root = AppJson.mapper().createObjectNode();
            root.put("ok", !bad);
            ArrayNode arr = root.putArray("checks");
            for (Doctor.Check c : checks) {
                ObjectNode n = arr.addObject();
                n.put("name", c.name());
                n.put("level", c.level().name().toLowerCase(Locale.ROOT));
                n.put("found", c.found());
                n.put("fix", c.fix());
            }
            ctx.out().println(AppJson.pretty().writeValueAsString(root));
        } else {
            for (Doctor.Check c : checks) {
                String tag = switch (c.level()) {
                    case OK -> "ok     ";
                    case INFO -> "info   ";
                    case WARN -> "warn   ";
                    case PROBLEM -> "PROBLEM";
                };
                ctx.out().println(tag + "  " + c.name() + ": " + c.found());
                if (c.fix() != null && c.level() != Doctor.Level.OK) ctx.out().println("         -> " + c.fix());
            }
            ctx.out().println(bad ? "Something is wrong: see PROBLEM above." : "Nothing wrong found.");
        }
        return bad ? RootCommand.EXIT_FAILURE : RootCommand.EXIT_OK;
    }
}
