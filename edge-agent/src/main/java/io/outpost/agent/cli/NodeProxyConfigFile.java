package io.outpost.agent.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --config} file of {@code outpost agent node-proxy}: each key is a flag's name without
 * its dashes, each value what the flag would take. Java properties syntax, which also reads flat
 * YAML ({@code key: value}); {@code #} starts a comment; lists are comma-separated.
 *
 * <pre>
 * # /etc/outpost/node-proxy.yaml
 * kubeconfig: /etc/outpost/node-proxy.kubeconfig
 * listen: 127.0.0.1:10261
 * data-dir: /var/lib/outpost/node-proxy
 * cache-clients: kubelet,kube-proxy
 * probe-interval: 1s
 * </pre>
 */
final class NodeProxyConfigFile {

  private NodeProxyConfigFile() {}

  /** The file's keys and values, in file order; unknown keys are an error naming the file and the valid keys. */
  static Map<String, String> read(Path file, CommandSpec command) {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("--config " + file + ": cannot read it (" + e + ")");
    }
    TreeSet<String> valid = new TreeSet<>();
    for (OptionSpec option : command.options()) {
      String name = option.longestName();
      if (name.startsWith("--") && !name.equals("--config") && !option.usageHelp() && !option.versionHelp()) {
        valid.add(name.substring(2));
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : new TreeSet<>(properties.stringPropertyNames())) {
      if (!valid.contains(key)) {
        throw new IllegalArgumentException("--config " + file + ": unknown key '" + key + "' (expected one of: "
            + String.join(", ", valid) + ")");
      }
      values.put(key, unquote(properties.getProperty(key).strip()));
    }
    return values;
  }

  /** YAML may quote scalars: {@code listen: "127.0.0.1:10261"}. */
  private static String unquote(String value) {
    if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
        || value.startsWith("'") && value.endsWith("'"))) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }
}
