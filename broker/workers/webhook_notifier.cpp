#include "broker/workers/webhook_notifier.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace jit::broker {

// Counts the URLs of one event still in flight; the last one to end runs `settled`.
struct WebhookNotifier::Settlement {
  std::atomic<std::size_t> remaining;
  std::function<void()> settled;
  void one_done() {
    if (remaining.fetch_sub(1) == 1 && settled) settled();
  }
};

struct WebhookNotifier::Delivery {
  Url url;
  std::string event;
  std::string body;
  int attempts = 0;
  std::chrono::milliseconds backoff;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::shared_ptr<Settlement> settlement;
};

WebhookNotifier::WebhookNotifier(boost::asio::io_context& io, Store& store, WebhookOptions options)
    : io_(io), store_(store), options_(std::move(options)) {
  for (const auto& text : options_.urls) {
    auto url = parse_url(text);
    if (!url) throw std::invalid_argument("webhook URL does not parse: " + text);
    urls_.push_back(*url);
  }
}

void WebhookNotifier::notify(std::string event, boost::json::object data,
                             std::function<void()> settled, std::optional<std::int64_t> time) {
  if (urls_.empty()) {
    if (settled) settled();
    return;
  }
  boost::json::object envelope;
  envelope["event"] = event;
  envelope["time"] = time ? *time
                          : std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  envelope["data"] = std::move(data);
  const std::string body = boost::json::serialize(envelope);
  auto settlement = std::make_shared<Settlement>();
  settlement->remaining = urls_.size();
  settlement->settled = std::move(settled);
  for (const auto& url : urls_) {
    auto delivery = std::make_shared<Delivery>();
    delivery->url = url;
    delivery->event = event;
    delivery->body = body;
    delivery->backoff = options_.first_backoff;
    delivery->settlement = settlement;
    if (pending_.fetch_add(1) >= options_.max_pending) {
      give_up(delivery, "dropped: too many deliveries pending");
      continue;
    }
    boost::asio::post(io_, [this, delivery] { attempt(delivery); });
  }
}

void WebhookNotifier::attempt(std::shared_ptr<Delivery> delivery) {
  ++delivery->attempts;
  ClientRequest request;
  request.method = boost::beast::http::verb::post;
  request.url = delivery->url;
  request.body = delivery->body;
  request.timeout = options_.timeout;
  request.max_response_bytes = 64 * 1024;
  async_fetch(
      io_, options_.tls, std::move(request),
      [this, delivery](boost::system::error_code ec, ClientResponse response) {
        const bool ok = !ec && response.status >= 200 && response.status < 300;
        if (ok) {
          ++delivered_;
          --pending_;
          delivery->settlement->one_done();
          return;
        }
        if (delivery->attempts >= options_.max_attempts) {
          give_up(delivery, ec ? "transport error after retries"
                               : "HTTP " + std::to_string(response.status) + " after retries");
          return;
        }
        delivery->timer = std::make_unique<boost::asio::steady_timer>(io_, delivery->backoff);
        delivery->backoff =
            std::min(delivery->backoff * 2, std::chrono::milliseconds(5 * 60 * 1000));
        delivery->timer->async_wait([this, delivery](boost::system::error_code wait_ec) {
          if (wait_ec) {  // io_context shutting down
            give_up(delivery, "broker stopped before delivery", false);
            return;
          }
          attempt(delivery);
        });
      });
}

void WebhookNotifier::give_up(const std::shared_ptr<Delivery>& delivery, const std::string& why,
                              bool final) {
  ++failed_;
  --pending_;
  if (final) delivery->settlement->one_done();
  boost::json::object details;
  details["event"] = delivery->event;
  details["host"] = delivery->url.host;  // the URL's path may carry a token, so it is not logged
  details["attempts"] = delivery->attempts;
  details["reason"] = why;
  store_.write(
      [entry = AuditEntry{"system", "webhook.failure", "webhook/" + delivery->url.host,
                          boost::json::serialize(details)}](WriteContext& tx) {
        tx.audit(entry);
        return boost::system::error_code{};
      },
      nullptr);
}

}  // namespace jit::broker
