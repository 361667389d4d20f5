package io.codexrelay.account;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Where a relay service or provider tells an account's remaining balance (issue 12): {@code GET url} with the
 * account's key, the remaining amount at {@code remainingPath} of the JSON answer and, when the service gives it, the
 * limit at {@code limitPath} (null: none, the balance is shown as an amount). Paths are dotted with array indexes, e.g.
 * {@code balance_infos[0].total_balance} (DeepSeek) or {@code data.limit_remaining} (OpenRouter).
 */
public record BalanceSource(String url, String remainingPath, String limitPath, Duration interval) {

    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_$-]+(\\[\\d+])*(\\.[A-Za-z0-9_$-]+(\\[\\d+])*)*");
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(10);
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(30);

    public BalanceSource {
        if (url == null || url.isBlank())
            throw new IllegalArgumentException("a balance source needs a URL, e.g. --balance-url https://api.deepseek.com/user/balance");
        url = url.trim();
        try {
            URI u = URI.create(url);
            if (u.getHost() == null || !("https".equals(u.getScheme()) || "http".equals(u.getScheme())))
                throw new IllegalArgumentException();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("balance URL '" + url + "' must be an http(s) URL like https://host/path");
        }
        if (remainingPath == null || remainingPath.isBlank())
            throw new IllegalArgumentException("a balance source needs the JSON path of the remaining amount, "
                    + "e.g. --balance-path balance_infos[0].total_balance");
        remainingPath = checkPath(remainingPath.trim());
        limitPath = limitPath == null || limitPath.isBlank() ? null : checkPath(limitPath.trim());
        interval = interval == null ? DEFAULT_INTERVAL : interval;
        if (interval.compareTo(MIN_INTERVAL) < 0)
            throw new IllegalArgumentException("the balance poll interval must be at least 30 seconds");
    }

    private static String checkPath(String p) {
        if (!PATH.matcher(p).matches())
            throw new IllegalArgumentException("JSON path '" + p + "' must be names separated by dots, with [N] for "
                    + "array items, e.g. data.limit_remaining or balance_infos[0].total_balance");
        return p;
    }
}
