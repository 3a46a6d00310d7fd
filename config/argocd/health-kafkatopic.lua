-- Argo CD health check for kafka.strimzi.io/KafkaTopic (v1 and v1beta2). Argo CD's built-in
-- check waits for a condition the unidirectional topic operator no longer sets; this one reads
-- what it does set: Ready True/False, observedGeneration, and strimzi.io/managed: "false".
local hs = {}
if obj.metadata.annotations ~= nil and obj.metadata.annotations["strimzi.io/managed"] == "false" then
  hs.status = "Suspended"
  hs.message = "Not managed by the Strimzi topic operator (strimzi.io/managed: false)"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the topic operator"
  return hs
end
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if observed < generation then
      hs.status = "Progressing"
      hs.message = "Waiting for the topic operator to observe generation " .. tostring(generation)
    elseif c.status == "True" then
      hs.status = "Healthy"
      hs.message = "Topic " .. tostring(obj.status.topicName or obj.metadata.name) .. " is ready"
    else
      hs.status = "Degraded"
      hs.message = (c.reason or "NotReady") .. ": " .. (c.message or "")
    end
    return hs
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the Ready condition"
return hs
