// Every public api header compiles on its own (style anchor 2).
#include <grin/api/barcode.hpp>
#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/book_row.hpp>
#include <grin/api/html_list_parser.hpp>
#include <grin/api/next_link.hpp>
#include <grin/api/process_response.hpp>
#include <grin/api/text_list.hpp>
#include <grin/api/tsv.hpp>
