package io.codexrelay.app;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code doctor}'s clock checks: the system clock against the upstream's ({@code Date} header), and each access token's
 * expiry against both. A token that looks expired only because the clock runs ahead (or looks valid only because it
 * runs behind) is reported with the fix, the clock, instead of a new login. Pure apart from {@link #httpDate}.
 */
public final class ClockSkew {
    private ClockSkew() {}

    /** More apart than this is a wrong clock: HTTP dates have whole seconds, and a request takes a moment. */
    static final Duration TOLERANCE = Duration.ofMinutes(2);

    static final String FIX = "Set the system clock right: sudo timedatectl set-ntp true (Linux), or turn on \"Set time "
            + "automatically\" (macOS, Windows). Tokens expire and quota windows reset by it; a new login does not help.";

    /** The upstream's time now; empty when it cannot be told (no network, no Date header). */
    @FunctionalInterface
    public interface UpstreamTime {
        Optional<Instant> now(URI upstream);
    }

    /** An access token's expiry ({@code owner} says whose: "Codex's auth.json", "account A"). */
    record Token(String owner, Instant expiry) {}

    /**
     * The upstream's time from the {@code Date} header of a HEAD request (no credentials, no body): any answer carries
     * one, even a 401 or 404. Empty when it cannot be reached within {@code timeout}.
     */
    public static UpstreamTime httpDate(Duration timeout) {
        return upstream -> {
            try {
                HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
                HttpRequest req = HttpRequest.newBuilder(upstream).timeout(timeout).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<Void> res = client.send(req, HttpResponse.BodyHandlers.discarding());
                return res.headers().firstValue("date").flatMap(ClockSkew::parseDate);
            } catch (IOException | IllegalArgumentException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        };
    }

    static Optional<Instant> parseDate(String header) {
        try {
            return Optional.of(ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * The checks for {@code local} (this machine's clock) against {@code server} (the upstream's, named {@code serverName};
     * null: unknown, then only genuine expiries are told) and each token.
     */
    static List<Doctor.Check> checks(Instant local, Instant server, String serverName, List<Token> tokens) {
        List<Doctor.Check> out = new ArrayList<>();
        Duration skew = server == null ? null : Duration.between(server, local);   // > 0: this clock runs ahead
        if (skew != null) {
            if (skew.abs().compareTo(TOLERANCE) <= 0) {
                out.add(new Doctor.Check("clock skew", Doctor.Level.OK, "within " + Math.max(1, skew.abs().toSeconds()) + " s of "
                        + serverName + "'s clock", null));
            } else {
                out.add(new Doctor.Check("clock skew", Doctor.Level.PROBLEM, "the system clock is " + aheadOrBehind(skew) + " " + serverName
                        + "'s (its Date header says " + server + ", this machine " + local + ")", FIX));
            }
        }
        for (Token t : tokens) {
            if (t.expiry() == null) continue;
            String name = "token " + t.owner();
            boolean expiredHere = !t.expiry().isAfter(local);
            boolean expiredThere = server != null && !t.expiry().isAfter(server);
            if (skew != null && expiredHere && !expiredThere) {
                out.add(new Doctor.Check(name, Doctor.Level.PROBLEM, "the access token looks expired (at " + t.expiry() + ") only because "
                        + "the clock is " + aheadOrBehind(skew) + " " + serverName + "'s; by " + serverName + "'s clock it is valid for "
                        + Pace.human(Duration.between(server, t.expiry())) + " more", FIX));
            } else if (skew != null && !expiredHere && expiredThere) {
                out.add(new Doctor.Check(name, Doctor.Level.PROBLEM, "the access token looks valid until " + t.expiry() + " only because "
                        + "the clock is " + aheadOrBehind(skew) + " " + serverName + "'s; by " + serverName + "'s clock it expired "
                        + Pace.human(Duration.between(t.expiry(), server)) + " ago", FIX));
            } else if (expiredHere) {
                out.add(new Doctor.Check(name, Doctor.Level.INFO, "the access token expired " + Pace.human(Duration.between(t.expiry(), local))
                        + " ago", "Nothing to do: it is refreshed when next used; if that fails, log in again."));
            } else {
                out.add(new Doctor.Check(name, Doctor.Level.OK, "the access token is valid for " + Pace.human(Duration.between(local, t.expiry()))
                        + " more", null));
            }
        }
        return out;
    }

    private static String aheadOrBehind(Duration skew) {
        return Pace.human(skew.abs()) + (skew.isNegative() ? " behind" : " ahead of");
    }
}
