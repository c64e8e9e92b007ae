// Locust 2.x's CSV headers (locust/stats.py: StatsCSV, StatsCSVFileWriter), written out
// here rather than taken from the code under test, and a CSV line's fields.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace lampi::testing {

inline const std::string kLocustStatsHeader =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
inline const std::string kLocustHistoryHeader =
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size";
inline const std::string kLocustFailuresHeader = "Method,Name,Error,Occurrences";

// Split at every comma: for lines without quoted fields.
inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

}  // namespace lampi::testing
