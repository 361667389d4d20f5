package io.codexrelay.store;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the request log keeps of a text: exactly, character by character, on both of clean's paths. */
class LogTextTest {

    @Test
    void plainTextWithinTheBoundIsKeptAsItIs() {
        String model = "gpt-5.1-codex-max";
        assertThat(LogText.clean(model, LogText.MODEL_MAX)).isSameAs(model);
        assertThat(LogText.clean("", 10)).isEmpty();
        assertThat(LogText.clean(null, 10)).isNull();
        assertThat(LogText.clean("abcdefghij", 10)).isEqualTo("abcdefghij");
    }

    @Test
    void textOverTheBoundIsCutWithAnEllipsis() {
        assertThat(LogText.clean("abcdefghijk", 10)).isEqualTo("abcdefghij…");
        assertThat(LogText.clean("héllo wörld!", 10)).isEqualTo("héllo wörl…");
    }

    @Test
    void controlAndFormatCharactersBecomeVisibleAndOtherTextStays() {
        assertThat(LogText.clean("a\u001b[1Ab\r\nc", 100)).isEqualTo("a\\u001b[1Ab\\u000d\\u000ac");
        assertThat(LogText.clean("x\u202Ey\u007f\u0085", 100)).isEqualTo("x\\u202ey\\u007f\\u0085");
        assertThat(LogText.clean("naïve 😀 模型", 100)).isEqualTo("naïve 😀 模型");
        // a surrogate pair is one character: it is kept whole or cut whole
        assertThat(LogText.clean("ab😀", 3)).isEqualTo("ab…");
        assertThat(LogText.clean("ab😀", 4)).isEqualTo("ab😀");
        // an escape that does not fit is cut as a whole, too
        assertThat(LogText.clean("ab\u001b", 7)).isEqualTo("ab…");
        assertThat(LogText.cleanMultiline("line 1\n\tline 2\r", 100)).isEqualTo("line 1\n\tline 2\\u000d");
    }
}
