package io.codexrelay.events;

import java.time.Instant;

/** Everything the relay tells its observers (UI, notifier, request log). */
public sealed interface RelayEvent {

    /** A proxied request ended (successfully or not); the request log turns {@code record} into its row. */
    record RequestFinished(FinishedRequest record) implements RelayEvent {}

    /** A request started on an account (for in-flight counts). */
    record RequestStarted(String account, String sessionId) implements RelayEvent {}

    record QuotaChanged(String account, QuotaSnapshot quota) implements RelayEvent {}

    /** The account is out until {@code until}; {@code reason} is a short human phrase. */
    record AccountExhausted(String account, Instant until, String reason) implements RelayEvent {}

    record AccountRecovered(String account) implements RelayEvent {}

    /** Requests now go to {@code to} instead of {@code from} (either may be null). */
    record AccountSwitched(String from, String to, String reason) implements RelayEvent {}

    record ReloginNeeded(String account, String reason) implements RelayEvent {}

    /** The upstream rejected the account's API key (401 invalid_api_key): it must be replaced, not logged in again. */
    record KeyRejected(String account, String reason) implements RelayEvent {}

    /** No account can serve; the first one comes back at {@code earliestReset} (null if unknown). */
    record PoolExhausted(Instant earliestReset) implements RelayEvent {}

    /** Accounts were added, removed or edited. */
    record AccountsChanged() implements RelayEvent {}

    /** Pinned account, auto mode or pause changed. */
    record ModeChanged(String pinned, boolean paused) implements RelayEvent {}

    /** The configuration was re-applied. */
    record ConfigChanged() implements RelayEvent {}

    /**
     * Codex's {@code config.toml} now points at the relay ({@code routed}) or not: {@code codex on/off} from the CLI,
     * the tray, or an edit by hand (the daemon watches the file).
     */
    record CodexRoutingChanged(boolean routed) implements RelayEvent {}

    /** A WebDAV sync of the accounts ended ({@code ok}: it worked); the tray's sync line re-reads the sync status. */
    record SyncFinished(boolean ok) implements RelayEvent {}
}
