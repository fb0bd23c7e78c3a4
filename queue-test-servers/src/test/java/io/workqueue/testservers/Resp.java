package io.workqueue.testservers;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal RESP client for tests: one command per connection, simple replies only. */
final class Resp {

  private Resp() {}

  /**
   * Sends one command and returns the reply: a simple string or error as-is ({@code +OK}, {@code
   * -ERR ...}), a bulk string as its content, a nil bulk string as null, an integer as {@code :n}.
   */
  static String command(String host, int port, String... args) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 2000);
      socket.setSoTimeout(5000);
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      write(req, "*" + args.length + "\r\n");
      for (String arg : args) {
        byte[] b = arg.getBytes(StandardCharsets.UTF_8);
        write(req, "$" + b.length + "\r\n");
        req.write(b);
        write(req, "\r\n");
      }
      OutputStream out = socket.getOutputStream();
      out.write(req.toByteArray());
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String line = readLine(in);
      if (line.startsWith("$")) {
        int len = Integer.parseInt(line.substring(1));
        if (len < 0) {
          return null;
        }
        byte[] data = in.readNBytes(len + 2);
        return new String(data, 0, len, StandardCharsets.UTF_8);
      }
      return line;
    }
  }

  private static void write(ByteArrayOutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read(); // '\n'
        break;
      }
      sb.append((char) c);
    }
    return sb.toString();
  }
}
