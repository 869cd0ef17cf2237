// The checks the machine-output tests rely on, shown to catch what they must: the RFC 4180
// reader and display text ("196,608", "33.74B", "12%", "yes", "2000/0"). Also DataTable, the
// rows both the CSV files and --format csv|json print.
#include <catch2/catch.hpp>

#include <limits>

#include "cli/machine_output.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::test;
using json = nlohmann::ordered_json;

TEST_CASE("machine output checks: the CSV reader follows RFC 4180 and refuses malformed quoting") {
  const CsvRows rows = parse_csv("a,\"b,c\",d\r\n\"say \"\"hi\"\"\",\"two\nlines\",\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"a", "b,c", "d"});
  CHECK(rows[1] == std::vector<std::string>{"say \"hi\"", "two\nlines", ""});
  CHECK(parse_csv("x,y") == CsvRows{{"x", "y"}});  // no final line break
  CHECK_THROWS(parse_csv("a,\"open\n"));
  CHECK_THROWS(parse_csv("a,b\"c\n"));
  CHECK_THROWS(parse_csv("\"a\"b,c\n"));
}

TEST_CASE("machine output checks: display text is told from data") {
  for (const std::string display : {"196,608", "1,234,567", "33.74B", "32.86 GiB", "12%", "-3.5%", "yes", "no", "2000/0",
                                    "$2.50", "3.5 req/s", "12ms"}) {
    INFO(display);
    CHECK(is_display_text(display));
  }
  for (const std::string data : {"196608", "33740000000", "0.125", "-3.5", "1e-05", "2.5e+20", "", "-", "H100-SXM",
                                 "Llama3-8B", "8-12", "true", "ok", "skipped (KV does not fit)", "Attn - QKV_Proj"}) {
    INFO(data);
    CHECK_FALSE(is_display_text(data));
  }
  CHECK(is_number_text("0.1"));
  CHECK(is_number_text("-2e-07"));
  CHECK_FALSE(is_number_text("+1"));
  CHECK_FALSE(is_number_text(".5"));
  CHECK_FALSE(is_number_text("inf"));
  CHECK_FALSE(is_number_text("0x10"));
}

TEST_CASE("data table: one set of rows gives the CSV text and the JSON data, full precision") {
  DataTable table({"name", "bytes", "ratio", "ok", "note"});
  table.add_row({"a,b", data_number(85899345920.0), data_number(1.0 / 3), data_bool(true), ""});
  table.add_row({"say \"x\"", data_number(-0.0), data_number(2.5e-7), data_bool(false), "007"});
  CHECK(table.csv() ==
        "name,bytes,ratio,ok,note\n\"a,b\",85899345920,0.3333333333333333,true,\n\"say \"\"x\"\"\",0,2.5e-07,false,007\n");
  const json j = table.json();
  check_rows(j, parse_csv(table.csv()));
  CHECK(j[0]["bytes"].is_number_integer());
  CHECK(j[0]["ratio"].get<double>() == 1.0 / 3);  // the double, to the last bit
  CHECK(j[0]["note"].is_null());
  CHECK(j[1]["note"] == "007");  // not JSON's grammar: stays text
  CHECK(data_number(std::numeric_limits<double>::infinity()).empty());
  CHECK_THROWS_AS(table.add_row({"too few"}), InternalError);
  CHECK(DataTable({"x"}).csv() == "x\n");  // the header even without rows
  const DataTable record = DataTable::record({{"fits", "true"}, {"kv_tokens", "196608"}});
  CHECK(record.csv() == "fits,kv_tokens\ntrue,196608\n");
  CHECK(record.row_json(0) == json({{"fits", true}, {"kv_tokens", 196608}}));
}
