-- Version 350 is the shared audit log of a multi-node deployment (postgresql/V350__transparency_log.sql). The
-- embedded deployment keeps its audit log in files (<data>/log), so on SQLite this version creates nothing; it exists
-- so that both backends keep the same version numbers.
SELECT 1;
