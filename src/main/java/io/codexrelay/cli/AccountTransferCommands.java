package io.codexrelay.cli;

import io.codexrelay.app.AccountsImport;
import io.codexrelay.app.ControlHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** {@code accounts export --to FILE} and {@code accounts import FILE}: every account in one passphrase-encrypted file. */
final class AccountTransferCommands {
    private AccountTransferCommands() {}

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {
                    "Write every account (tokens, keys, settings) into one file encrypted with a passphrase (PBKDF2-HMAC-SHA256 + AES-256-GCM, docs/sync.md), for `accounts import` on another machine."})
    static final class Export extends ControlCommand {
        @Option(names = "--to", required = true, paramLabel = "FILE", description = "The file to write (mode 0600; an existing one is replaced).")
        Path to;

        @Option(names = "--passphrase-env", paramLabel = "VAR", description = "Read the passphrase from this environment variable (else a prompt).")
        String passphraseEnv;

        @Override
        int run(ControlHandle control) throws Exception {
            char[] pass = Passphrases.read(ctx(), passphraseEnv, true, "the accounts file");
            byte[] file = control.exportAccounts(pass);
            write(to, file);
            int n = control.status().accounts().size();
            out().println("Wrote " + n + " account(s) to " + to.toAbsolutePath() + " (encrypted). Bring it to the other machine and run "
                    + "`codex-relay accounts import " + to.getFileName() + "` there.");
            return 0;
        }

        private static void write(Path to, byte[] bytes) throws IOException {
            Path abs = to.toAbsolutePath();
            Path tmp = Files.createTempFile(abs.getParent(), ".export-", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
                Files.write(tmp, bytes);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Merge the accounts of an exported file in, matched by identity (ChatGPT account id, key fingerprint).",
                    "Shows what would change first; --yes applies it. Newer tokens here are never replaced by older ones."})
    static final class Import extends ControlCommand {
        @Parameters(paramLabel = "FILE", description = "A file written by `accounts export`.")
        Path file;

        @Option(names = "--passphrase-env", paramLabel = "VAR", description = "Read the passphrase from this environment variable (else a prompt).")
        String passphraseEnv;

        @Option(names = "--yes", description = "Apply the changes (without it: only show them).")
        boolean yes;

        @Override
        int run(ControlHandle control) throws Exception {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new CliFailure(1, "Cannot read " + file + ": " + e.getMessage());
            }
            char[] pass = Passphrases.read(ctx(), passphraseEnv, false, "the accounts file");
            AccountsImport r = control.importAccounts(bytes, pass, yes);
            out().println((r.applied() ? "Imported from " : "Would import from ") + file + " (written by " + r.writtenBy() + " at " + r.writtenAt() + "):");
            Table t = new Table("ACCOUNT", "ACTION", "WHY");
            for (var l : r.changes()) t.row(l.name(), l.action(), l.detail());
            t.print(out());
            for (String w : r.warnings()) out().println("Warning: " + w);
            if (!r.applied()) out().println(r.changesSomething() ? "Nothing changed yet: run again with --yes to apply." : "Nothing to change.");
            else out().println("Done; " + effect(control) + ".");
            return 0;
        }
    }

}
