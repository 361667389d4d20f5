package io.codexrelay.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.codexrelay.app.AppJson;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/** A command that acts through {@link ControlApi}: the running daemon, else the files offline. */
abstract class ControlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    CliContext ctx() { return ((RootCommand) spec.root().userObject()).context(); }

    PrintStream out() { return ctx().out(); }

    @Override
    public final Integer call() throws Exception {
        try (ControlHandle control = Controls.open(ctx().env(), ctx().clock())) {
            return run(control);
        }
    }

    abstract int run(ControlHandle control) throws Exception;

    void printJson(Object value) throws JsonProcessingException {
        out().println(AppJson.pretty().writeValueAsString(value));
    }

    /** "The running relay uses it at once." / "The relay uses it when it starts." */
    static String effect(ControlHandle control) {
        return control.daemonRunning() ? "in effect now" : "relay not running; takes effect when it starts";
    }
}
