-- Run once by the postgres image on an empty volume (deploy/compose.yaml): Prefect's own
-- database beside Engage's.
CREATE DATABASE prefect OWNER engage;
