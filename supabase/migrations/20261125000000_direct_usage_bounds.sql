-- Direct usage rows (route 'direct', written by the browser with the user's own token) are the
-- user's word: they may not erase, forge or outweigh what the proxy records.
--
--   Namespace  a direct row's request_id is stored as 'direct:<the id sent>' (a trigger adds
--              the prefix), and a CHECK keeps 'direct:' for direct rows only. A user who sends
--              the proxy's X-Request-Id first therefore takes 'direct:req_…', never 'req_…',
--              and the proxy's own row still lands. Retries stay idempotent on both sides: the
--              same id sent again maps to the same stored id and is ignored as a duplicate
--              (`on conflict (request_id) do nothing`), so neither client changes.
--   Time       a user's direct row keeps its created_at only within 5 minutes of now(); anything
--              else (missing, back-dated, future) becomes now(), the moment the row arrived.
--              Rewritten rather than refused: the browser queues rows while offline and
--              sends them as one batch, which a single refused row would block for good.
--   Bounds     the insert policy refuses direct rows over the caps below: at most 100 USD and
--              10,000,000 tokens of each kind per row, short text fields.
--   Cost alert usage_cost_today() sums route 'proxy' only: what the operator pays for.
--
-- The service role (the proxy, operators) is not bound by the policy's caps and keeps full
-- control of created_at; the namespace CHECK holds for everyone.

-- ---------------------------------------------------------------------------------------------
-- Namespace and time of direct rows.

create function public.usage_events_direct_row() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.route = 'direct' then
    if new.request_id not like 'direct:%' then
      new.request_id := 'direct:' || new.request_id;
    end if;
    -- The user's own insert (PostgREST runs it as `authenticated`); the service role may
    -- date rows as it likes (backfills, imports).
    if current_user = 'authenticated' and (
         new.created_at is null
         or new.created_at < now() - interval '5 minutes'
         or new.created_at > now() + interval '5 minutes') then
      new.created_at := now();
    end if;
  end if;
  return new;
end;
$$;

revoke all on function public.usage_events_direct_row() from public, anon, authenticated, service_role;

comment on function public.usage_events_direct_row() is
  'Direct usage rows: request_id into the direct: namespace, created_at within 5 minutes of now().';

-- Rows written before this migration join the namespace. A direct row whose prefixed id is
-- already taken can only be a copy made on purpose to collide: it goes.
delete from public.usage_events e
where e.route = 'direct'
  and e.request_id not like 'direct:%'
  and exists (select 1 from public.usage_events o where o.request_id = 'direct:' || e.request_id);

update public.usage_events
set request_id = 'direct:' || request_id
where route = 'direct' and request_id not like 'direct:%';

-- Fired before the insert's ON CONFLICT check, so the conflict target sees the stored id.
-- Updates are the service role's alone; the CHECK below still holds for them.
create trigger usage_events_direct_row
  before insert on public.usage_events
  for each row execute function public.usage_events_direct_row();

alter table public.usage_events
  add constraint usage_events_request_id_namespace
  check ((route = 'direct') = (request_id like 'direct:%'));

comment on column public.usage_events.request_id is
  'The proxy''s X-Request-Id (route proxy), or direct:<the browser''s id> (route direct). Unique.';

-- ---------------------------------------------------------------------------------------------
-- Bounds on what a signed-in user may add. Checked after the trigger, on the stored row.

drop policy "usage_events: owner adds direct calls" on public.usage_events;

create policy "usage_events: owner adds direct calls" on public.usage_events
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and route = 'direct'
    and length(request_id) <= 100
    and length(provider) <= 40
    and length(model) <= 200
    and (error_code is null or length(error_code) <= 64)
    and input_tokens <= 10000000
    and output_tokens <= 10000000
    and cached_tokens <= 10000000
    and (cost_usd is null or cost_usd <= 100)
  );

-- ---------------------------------------------------------------------------------------------
-- The cost alert: proxy rows only. (create or replace keeps the function's grants.)

create or replace function public.usage_cost_today() returns numeric
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(sum(cost_usd), 0)::numeric
  from public.usage_events
  where route = 'proxy'
    and created_at >= date_trunc('day', now(), 'UTC')
    and created_at < date_trunc('day', now(), 'UTC') + interval '24 hours'
$$;

comment on function public.usage_cost_today() is
  'Estimated cost in USD of the calls made through the proxy so far today (UTC day): what the operator pays for. Direct calls, which users report themselves, are not counted. Service role only.';
