-- Where VRM listed a series: the parts of fetched windows whose answer
-- held points for it rather than `false`. Inside a listed part a bucket
-- without a point has no data; outside, a bucket is unknown (VRM's
-- `false` stands for zeros and gaps alike), so the engine does not guess.
CREATE TABLE stats_listed (
    id     INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES stats_series (id),
    start  INTEGER NOT NULL,
    end    INTEGER NOT NULL
);
CREATE INDEX stats_listed_by_series ON stats_listed (series, start);

-- Files of schema 1: a fetched range listed every series with a point in it.
INSERT INTO stats_listed (series, start, end)
SELECT s.id, r.start, r.end
FROM stats_ranges r JOIN stats_series s
  ON s.scope = r.scope AND s.site = r.site AND s.type = r.type
 AND s.interval = r.interval AND s.grid = r.grid
 AND (r.code = '*' OR r.code = s.code)
 AND ((r.per_instance = 1) = (s.instance >= 0))
WHERE EXISTS (SELECT 1 FROM stats_points p
              WHERE p.series = s.id AND p.t >= r.start * 1000 AND p.t < r.end * 1000);
