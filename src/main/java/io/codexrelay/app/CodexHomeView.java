package io.codexrelay.app;

/**
 * A named Codex home as {@code homes list} shows it: its directory, the account its requests go to (null: the pool
 * chooses), whether its config points at the relay, how many sessions it holds, and the last four characters of its
 * client key. {@code note}: what the last change did (e.g. where the directory stays after {@code remove}).
 */
public record CodexHomeView(String name, String dir, String account, boolean strict, boolean wired, int sessions,
                            String keyHint, String note) {}
