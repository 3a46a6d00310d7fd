-- Argo CD health check for mobileforge.credeau.com/MobileForgeSyncPipeline.
-- Healthy only when Ready is True for the current generation; Suspended while paused;
-- Degraded when the operator reports a failure it cannot recover from by waiting, or a
-- workload Stalled (crash loop, image pull failure, progress deadline exceeded);
-- Progressing otherwise (rolling out, scaling, waiting for topics).
local hs = {}
local failures = {
  ApplyFailed = true, KafkaUnreachable = true, KafkaCredentialsMissing = true, KafkaAuthenticationFailed = true, KafkaTLSFailed = true,
  TopicsFailed = true, StrimziNotInstalled = true, MigrationFailed = true, InsufficientBrokers = true, Conflict = true,
}
local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then return c end
  end
  return nil
end

local paused = condition("Paused")
if paused ~= nil and paused.status == "True" then
  hs.status = "Suspended"
  hs.message = paused.message
  return hs
end

local ready = condition("Ready")
local generation = obj.metadata.generation or 0
local observed = (obj.status ~= nil and obj.status.observedGeneration) or 0
if ready == nil or observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. tostring(generation)
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = "Stalled: " .. stalled.message
  return hs
end

if failures[ready.reason] then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = ready.reason .. ": " .. ready.message
return hs
