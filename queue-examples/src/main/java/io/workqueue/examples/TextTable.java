package io.workqueue.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain ASCII table: a header, rows, columns as wide as their widest cell; cells that look like
 * numbers are right-aligned. Not thread-safe.
 */
final class TextTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(String... header) {
    this.header = List.of(header);
  }

  TextTable row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(
          "a row of " + cells.length + " cells in a table of " + header.size() + " columns");
    }
    rows.add(Arrays.stream(cells).map(c -> c == null ? "" : String.valueOf(c)).toList());
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  String render() {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (List<String> row : rows) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    String rule = rule(widths);
    sb.append(rule);
    line(sb, header, widths, false);
    sb.append(rule);
    for (List<String> row : rows) {
      line(sb, row, widths, true);
    }
    sb.append(rule);
    return sb.toString();
  }

  private static String rule(int[] widths) {
    StringBuilder sb = new StringBuilder("+");
    for (int w : widths) {
      sb.append("-".repeat(w + 2)).append('+');
    }
    return sb.append('\n').toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] widths, boolean align) {
    sb.append('|');
    for (int i = 0; i < widths.length; i++) {
      String c = cells.get(i);
      String pad = " ".repeat(widths[i] - c.length());
      sb.append(' ');
      if (align && looksNumeric(c)) {
        sb.append(pad).append(c);
      } else {
        sb.append(c).append(pad);
      }
      sb.append(" |");
    }
    sb.append('\n');
  }

  /** Numbers, optionally with a unit: "3,000", "12.5 ms", "2,345 tasks/s", "-". */
  private static boolean looksNumeric(String c) {
    return c.matches("-?[0-9][0-9,.]*( [a-z/%]+)?");
  }
}
