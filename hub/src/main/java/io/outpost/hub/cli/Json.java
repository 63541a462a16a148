package io.outpost.hub.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough JSON reading for CLI output: a top-level string field of a small answer. */
final class Json {

  private Json() {}

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : json;
  }

  static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
