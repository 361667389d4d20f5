package io.codexrelay.cli;

import java.io.Console;

/**
 * Where a passphrase comes from: {@code --passphrase-env VAR}, else a prompt on the console (twice when it is new).
 * Never a flag value: that would stay in the shell history and the process list.
 */
final class Passphrases {
    private Passphrases() {}

    static char[] read(CliContext ctx, String envVar, boolean confirm, String purpose) {
        if (envVar != null) {
            String v = ctx.env().get(envVar);
            if (v == null || v.isEmpty()) throw new CliFailure(2, "Environment variable " + envVar + " is not set or empty.");
            return v.toCharArray();
        }
        Console console = System.console();
        if (console == null)
            throw new CliFailure(2, "No terminal to ask for the " + purpose + " passphrase: pass --passphrase-env VAR with the "
                    + "passphrase in that environment variable.");
        char[] p = console.readPassword("Passphrase for %s: ", purpose);
        if (p == null) throw new CliFailure(2, "No passphrase given.");
        if (confirm) {
            char[] again = console.readPassword("Same passphrase again: ");
            if (again == null || !java.util.Arrays.equals(p, again)) throw new CliFailure(2, "The two passphrases differ; nothing was done.");
        }
        return p;
    }
}
