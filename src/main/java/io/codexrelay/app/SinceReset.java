package io.codexrelay.app;

import io.codexrelay.events.QuotaWindow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What an account did since its window last reset: requests and tokens, and what the same tokens would cost at API
 * prices. Pure: the window start comes from the quota window and the injected {@link Clock}; the usage rows and the
 * price table ({@link ApiPrices}: {@code [prices]} of config.toml over the jar's defaults) are given.
 *
 * @param since        the window's start (its reset minus its length)
 * @param apiPriceUsd  the API-price equivalent in US dollars; null when no row's model has a price
 */
public record SinceReset(Instant since, long requests, long inputTokens, long cachedTokens, long outputTokens, Double apiPriceUsd) {

    /** Usage of one model (requests and tokens; {@code cachedTokens} are part of {@code inputTokens}). */
    public record Usage(String model, long requests, long inputTokens, long cachedTokens, long outputTokens) {}

    /** US dollars per million tokens: fresh input, cached input, output. */
    public record Price(double inputPerMillion, double cachedPerMillion, double outputPerMillion) {}

    /** When the window began: its reset minus its length; its reset itself when that is already past. Null: unknown. */
    public static Instant windowStart(QuotaWindow w, Duration defaultLength, Clock clock) {
        if (w == null || w.resetsAt() == null) return null;
        if (!w.resetsAt().isAfter(clock.instant())) return w.resetsAt();
        Duration length = w.windowMinutes() != null && w.windowMinutes() > 0 ? Duration.ofMinutes(w.windowMinutes()) : defaultLength;
        return w.resetsAt().minus(length);
    }

    /**
     * Sums {@code rows} (already limited to the window) and prices them with {@code prices}, whose names match a model
     * exactly or as a prefix followed by "-" ("gpt-5-codex" prices "gpt-5-codex-high").
     */
    public static SinceReset of(Instant since, List<Usage> rows, Map<String, Price> prices) {
        return of(since, rows, (Function<String, Price>) model -> priceOf(model, prices));
    }

    /** Sums {@code rows} (already limited to the window) and prices them with the configured API prices. */
    public static SinceReset of(Instant since, List<Usage> rows, ApiPrices prices) {
        return of(since, rows, (Function<String, Price>) prices::priceOf);
    }

    private static SinceReset of(Instant since, List<Usage> rows, Function<String, Price> priceOf) {
        long req = 0, in = 0, cached = 0, out = 0;
        double usd = 0;
        boolean priced = false;
        for (Usage u : rows) {
            req += u.requests();
            in += u.inputTokens();
            cached += u.cachedTokens();
            out += u.outputTokens();
            Price p = priceOf.apply(u.model());
            if (p != null) {
                priced = true;
                usd += cost(p, u.inputTokens(), u.cachedTokens(), u.outputTokens());
            }
        }
        return new SinceReset(since, req, in, cached, out, priced ? cents(usd) : null);
    }

    /** US dollars for these tokens at {@code p}; {@code cached} is part of {@code input} and priced at the cached rate. */
    static double cost(Price p, long input, long cached, long output) {
        long fresh = Math.max(0, input - cached);
        return (fresh * p.inputPerMillion() + Math.min(cached, input) * p.cachedPerMillion() + output * p.outputPerMillion()) / 1_000_000.0;
    }

    /** What one request's tokens cost at {@code p}, in US dollars (not rounded); null counts are 0. */
    public static double costUsd(Price p, Long input, Long cached, Long output) {
        return cost(p, input == null ? 0 : input, cached == null ? 0 : cached, output == null ? 0 : output);
    }

    /** Rounded to whole cents, as the figures are shown. */
    static double cents(double usd) {
        return Math.round(usd * 100) / 100.0;
    }

    static Price priceOf(String model, Map<String, Price> prices) {
        if (model == null) return null;
        String best = null;
        for (String k : prices.keySet()) {
            if ((model.equals(k) || model.startsWith(k + "-")) && (best == null || k.length() > best.length())) best = k;
        }
        return best == null ? null : prices.get(best);
    }
}
