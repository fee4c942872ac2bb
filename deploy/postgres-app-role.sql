-- The role the web app and the workers connect as: no superuser, no BYPASSRLS, not the
-- tables' owner, so row-level security (FORCE ROW LEVEL SECURITY on the private tables)
-- holds as a second lock behind the app's tenancy filter. Migrations run as the owner.
--
--   psql -v app_role=engage_app [-v app_password=...] -d engage -f deploy/postgres-app-role.sql
--
-- Run it as the owner of the tables, after `engage db upgrade`; the default privileges
-- cover tables that later migrations create.
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', :'app_role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role') \gexec
\if :{?app_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'app_role', :'app_password') \gexec
\endif
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";
-- audit_event refuses UPDATE and DELETE by trigger, whoever asks.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
