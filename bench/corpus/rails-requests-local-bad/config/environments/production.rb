Rails.application.configure do
  config.eager_load = true
  config.consider_all_requests_local = true
  config.force_ssl = true
  config.log_level = :info
end
