package io.codexrelay.app;

import java.util.List;

/**
 * The WebDAV sync as {@code sync status} (and later the tray) shows it. {@code configured}: {@code sync.url} is set;
 * {@code url}: without user info; {@code lastSyncAt}/{@code lastResult}: the last successful sync and what it did;
 * {@code lastError}: the last failure's message (null after a success); {@code warnings}: e.g. a refresh token refreshed
 * on two machines; {@code changes}: what the last sync changed here, one line each.
 */
public record SyncStatus(boolean configured, String url, String machine, String lastSyncAt, String lastResult,
                         String lastError, List<String> warnings, List<String> changes) {}
