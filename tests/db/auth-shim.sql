-- Test-only stand-in for what a Supabase project provides before any migration runs:
-- the API roles, the `auth` schema with `auth.users`, and the `auth.uid()` / `auth.role()` /
-- `auth.jwt()` helpers that policies call. It mirrors Supabase's own definitions closely
-- enough that the migrations and their row-level security behave here as they do there.
-- It is never applied to a real Supabase project.

-- Roles. PostgREST logs in as `authenticator` and switches to one of the other three per
-- request, after setting `request.jwt.claims` from the verified token.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Supabase gives the API roles usage of `public` and, through default privileges, every
-- privilege on whatever the migration owner creates there. Migrations must therefore revoke
-- what they do not mean to grant; reproducing the defaults keeps the tests honest about that.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- The auth schema: users (only the columns Ferry refers to) and the claim helpers.
create schema if not exists auth;

create table if not exists auth.users (
  id uuid primary key,
  email text
);

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

-- The API roles may call the helpers (policies run them as the requesting role) but get
-- nothing on auth.users itself.
grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;
revoke all on auth.users from public, anon, authenticated;
grant all on auth.users to service_role;
