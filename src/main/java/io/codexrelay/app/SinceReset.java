package io.codexrelay.app;

import io.codexrelay.events.QuotaWindow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What an account did since its window last reset: requests and tokens, and what the same tokens would cost at API
 * prices. Pure: the window start comes from the quota window and the injected {@link Clock}; the usage rows and the
 * price table are given.
 *
 * @param since        the window's start (its reset minus its length)
 * @param apiPriceUsd  the API-price equivalent in US dollars; null when no row's model has a price
 */
public record SinceReset(Instant since, long requests, long inputTokens, long cachedTokens, long outputTokens, Double apiPriceUsd) {

    /** Usage of one model (requests and tokens; {@code cachedTokens} are part of {@code inputTokens}). */
    public record Usage(String model, long requests, long inputTokens, long cachedTokens, long outputTokens) {}

    /** US dollars per million tokens: fresh input, cached input, output. */
    public record Price(double inputPerMillion, double cachedPerMillion, double outputPerMillion) {}

    /**
     * List prices per model as OpenAI publishes them for the API (USD per 1M tokens); a model not listed falls back to
     * its longest listed prefix ("gpt-5-codex-mini" -> "gpt-5-codex"), else has no price.
     */
    public static final Map<String, Price> DEFAULT_PRICES = Map.of(
            "gpt-5", new Price(1.25, 0.125, 10.0),
            "gpt-5-codex", new Price(1.25, 0.125, 10.0),
            "gpt-5-mini", new Price(0.25, 0.025, 2.0),
            "gpt-5.1", new Price(1.25, 0.125, 10.0),
            "gpt-5.1-codex", new Price(1.25, 0.125, 10.0),
            "gpt-5.1-codex-mini", new Price(0.25, 0.025, 2.0),
            "gpt-4.1", new Price(2.0, 0.5, 8.0),
            "o3", new Price(2.0, 0.5, 8.0));

    /** When the window began: its reset minus its length; its reset itself when that is already past. Null: unknown. */
    public static Instant windowStart(QuotaWindow w, Duration defaultLength, Clock clock) {
        if (w == null || w.resetsAt() == null) return null;
        if (!w.resetsAt().isAfter(clock.instant())) return w.resetsAt();
        Duration length = w.windowMinutes() != null && w.windowMinutes() > 0 ? Duration.ofMinutes(w.windowMinutes()) : defaultLength;
        return w.resetsAt().minus(length);
    }

    /** Sums {@code rows} (already limited to the window) and prices them with {@code prices}. */
    public static SinceReset of(Instant since, List<Usage> rows, Map<String, Price> prices) {
        long req = 0, in = 0, cached = 0, out = 0;
        double usd = 0;
        boolean priced = false;
        for (Usage u : rows) {
            req += u.requests();
            in += u.inputTokens();
            cached += u.cachedTokens();
            out += u.outputTokens();
            Price p = priceOf(u.model(), prices);
            if (p != null) {
                priced = true;
                long fresh = Math.max(0, u.inputTokens() - u.cachedTokens());
                usd += (fresh * p.inputPerMillion() + u.cachedTokens() * p.cachedPerMillion() + u.outputTokens() * p.outputPerMillion()) / 1_000_000.0;
            }
        }
        return new SinceReset(since, req, in, cached, out, priced ? Math.round(usd * 100) / 100.0 : null);
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
