package io.workqueue.examples;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A {@code host:port} of a server, as given on the command line or in an environment variable.
 *
 * @param host the host name or address (an IPv6 address without brackets)
 * @param port the port
 */
record HostPort(String host, int port) {

  /** Parses {@code host:port}, {@code host} (the default port) or {@code [::1]:port}. */
  static HostPort parse(String text, int defaultPort) {
    String s = text == null ? "" : text.trim();
    String host;
    String port = null;
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      if (end < 0 || (end + 1 < s.length() && s.charAt(end + 1) != ':')) {
        throw new TypeConversionException("'" + text + "' is not [ipv6]:port");
      }
      host = s.substring(1, end);
      port = end + 1 < s.length() ? s.substring(end + 2) : null;
    } else {
      int colon = s.lastIndexOf(':');
      if (colon >= 0 && s.indexOf(':') != colon) {
        throw new TypeConversionException("'" + text + "': write IPv6 addresses as [::1]:port");
      }
      host = colon < 0 ? s : s.substring(0, colon);
      port = colon < 0 ? null : s.substring(colon + 1);
    }
    if (host.isBlank()) {
      throw new TypeConversionException("'" + text + "' has no host; write host:port");
    }
    int p = defaultPort;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + text + "' has no numeric port; write host:port");
      }
      if (p < 1 || p > 65535) {
        throw new TypeConversionException("'" + text + "': the port must be 1 to 65535");
      }
    }
    return new HostPort(host, p);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** Picocli converter for Cassandra contact points (default port 9042). */
  static final class Cassandra implements ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
      return parse(value, 9042);
    }
  }

  /** Picocli converter for Redis endpoints (default port 6379). */
  static final class Redis implements ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
      return parse(value, 6379);
    }
  }
}
