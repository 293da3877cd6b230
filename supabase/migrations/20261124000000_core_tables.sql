-- Ferry's tables: account metadata and usage records only. Chat messages, transcripts,
-- provider keys and memory never come here; they stay in the user's browser.
--
-- Access model (row-level security on every table):
--   profiles, user_settings  each signed-in user reads and writes only their own row
--   usage_events             a signed-in user reads their own rows and may add their own rows
--                            with route = 'direct' (calls the browser made straight to a
--                            provider); 'proxy' rows come from the proxy with the service role;
--                            only the service role updates or deletes
--   anon                     nothing anywhere
-- The service role bypasses row-level security, as on every Supabase project.

-- Keeps updated_at current on every update.
create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

revoke all on function public.set_updated_at() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- profiles: one per user, created by the app after sign-up.

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.profiles is 'One row per user: display metadata only.';

create trigger profiles_set_updated_at
  before update on public.profiles
  for each row execute function public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- user_settings: the user's app preferences that should follow them across devices.

create table public.user_settings (
  user_id uuid primary key references auth.users (id) on delete cascade,
  settings jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
  updated_at timestamptz not null default now()
);

comment on table public.user_settings is
  'Synced app preferences (a JSON object). Never provider keys, messages or memory.';

create trigger user_settings_set_updated_at
  before update on public.user_settings
  for each row execute function public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- usage_events: one row per model call, written by the proxy (route 'proxy', service role) or
-- by the browser for calls it made straight to a provider (route 'direct', the user's token).

create table public.usage_events (
  id uuid primary key default gen_random_uuid(),
  -- The proxy's X-Request-Id: unique, so a retried insert
  -- (`on conflict (request_id) do nothing`) never counts a call twice.
  request_id text not null unique,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  route text not null check (route in ('proxy', 'direct')),
  provider text not null,
  model text not null default '',
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  cached_tokens integer not null default 0 check (cached_tokens >= 0),
  latency_ms integer check (latency_ms >= 0),
  -- Estimated from the price table; null when the model's price is unknown.
  cost_usd numeric(12, 6) check (cost_usd >= 0),
  -- Null on success; the error code otherwise.
  error_code text
);

comment on table public.usage_events is
  'One row per model call: who, which route and provider, tokens, latency, estimated cost, error.';
comment on column public.usage_events.cost_usd is 'Estimated cost in USD; null when the model is not priced.';
comment on column public.usage_events.error_code is 'Null on success.';

-- For the operator views (time ranges) and a user's own history.
create index usage_events_created_at_idx on public.usage_events (created_at);
create index usage_events_user_id_created_at_idx on public.usage_events (user_id, created_at);

-- ---------------------------------------------------------------------------------------------
-- Privileges. Supabase grants every privilege on new tables in `public` to anon, authenticated
-- and service_role by default; take them all back and grant only what the policies allow.
-- (TRUNCATE in particular ignores row-level security.)

revoke all on table public.profiles, public.user_settings, public.usage_events
  from public, anon, authenticated;

grant select, insert, update, delete on table public.profiles, public.user_settings to authenticated;
grant select, insert on table public.usage_events to authenticated;
grant all on table public.profiles, public.user_settings, public.usage_events to service_role;

-- ---------------------------------------------------------------------------------------------
-- Row-level security. `(select auth.uid())` is evaluated once per statement, not per row.

alter table public.profiles enable row level security;
alter table public.user_settings enable row level security;
alter table public.usage_events enable row level security;

create policy "profiles: owner reads" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()));
create policy "profiles: owner inserts" on public.profiles
  for insert to authenticated
  with check (id = (select auth.uid()));
create policy "profiles: owner updates" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
create policy "profiles: owner deletes" on public.profiles
  for delete to authenticated
  using (id = (select auth.uid()));

create policy "user_settings: owner reads" on public.user_settings
  for select to authenticated
  using (user_id = (select auth.uid()));
create policy "user_settings: owner inserts" on public.user_settings
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "user_settings: owner updates" on public.user_settings
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "user_settings: owner deletes" on public.user_settings
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- No update or delete policy on usage_events: with RLS on, a user can change nothing there.
create policy "usage_events: owner reads" on public.usage_events
  for select to authenticated
  using (user_id = (select auth.uid()));
create policy "usage_events: owner adds direct calls" on public.usage_events
  for insert to authenticated
  with check (user_id = (select auth.uid()) and route = 'direct');
